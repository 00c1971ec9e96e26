// The document import queue. It lives outside the page so imports keep running (and stay visible) when the
// person goes to another page and comes back. Files are imported one at a time, in the order given.
import { commands } from "./commands";
import type { DocumentInfo, ErrorPayload, ImportProgress } from "./bindings";

export type ImportStatus = "waiting" | "running" | "done" | "already" | "failed" | "stopped";

export interface ImportItem {
  key: string;
  path: string;
  name: string;
  status: ImportStatus;
  progress: ImportProgress | null;
  error: ErrorPayload | null;
  doc: DocumentInfo | null;
}

export const imports = $state<{ items: ImportItem[]; finished: number }>({ items: [], finished: 0 });

let pumping = false;
let counter = 0;

export function fileName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** Adds files to the queue and starts importing. */
export function enqueue(paths: string[]): void {
  for (const path of paths) {
    counter += 1;
    imports.items.push({
      key: `import-${Date.now()}-${counter}`,
      path,
      name: fileName(path),
      status: "waiting",
      progress: null,
      error: null,
      doc: null,
    });
  }
  void pump();
}

async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  try {
    for (;;) {
      const item = imports.items.find((i) => i.status === "waiting");
      if (!item) break;
      item.status = "running";
      try {
        const doc = await commands.importDocument({ path: item.path, import_id: item.key }, (p) => {
          item.progress = p;
        });
        item.doc = doc;
        item.status = doc.already_imported ? "already" : "done";
      } catch (e) {
        const err = e as ErrorPayload;
        item.status = err.code === "cancelled" ? "stopped" : "failed";
        item.error = err.code === "cancelled" ? null : err;
      }
      imports.finished += 1;
    }
  } finally {
    pumping = false;
  }
  forgetDoneLater();
}

/** Stops a running import (nothing of it is kept) or takes a waiting one off the queue. */
export async function stop(item: ImportItem): Promise<void> {
  if (item.status === "waiting") {
    item.status = "stopped";
  } else if (item.status === "running") {
    await commands.cancelImport(item.key);
  }
}

/** How long rows that went well stay on screen after the last import of a batch (failed and stopped rows stay until cleared: their reason
 * must be read). */
export const DONE_ROW_MS = 4_000;

/** Once the queue is empty, the rows that went well go by themselves (a new batch started meanwhile keeps
 * them until it is over too). */
function forgetDoneLater(): void {
  setTimeout(() => {
    if (imports.items.some((i) => i.status === "waiting" || i.status === "running")) return;
    imports.items = imports.items.filter((i) => i.status !== "done" && i.status !== "already");
  }, DONE_ROW_MS);
}

/** Removes finished rows. */
export function clearFinished(): void {
  imports.items = imports.items.filter((i) => i.status === "waiting" || i.status === "running");
}

/** Overall progress 0–1 of one import, weighting the stages by the time they usually take. */
export function fraction(p: ImportProgress | null): number {
  if (!p) return 0;
  const part = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  switch (p.stage) {
    case "reading":
      return 0.2 * part;
    case "chunking":
      return 0.22;
    case "embedding":
      return 0.25 + 0.7 * part;
    case "saving":
      return 0.96;
    case "done":
      return 1;
  }
}

/** What is happening, in words. */
export function describe(item: ImportItem): string {
  switch (item.status) {
    case "waiting":
      return "Waiting…";
    case "stopped":
      return "Stopped — nothing was added.";
    case "failed":
      return item.error?.message ?? "Could not import.";
    case "already":
      return "Already in your library — nothing new to add.";
    case "done": {
      const n = item.doc?.chunks ?? 0;
      return `Added ${n} passage${n === 1 ? "" : "s"}.`;
    }
    case "running": {
      const p = item.progress;
      if (!p) return "Starting…";
      switch (p.stage) {
        case "reading":
          return p.total > 1 ? `Reading page ${Math.min(p.done + 1, p.total)} of ${p.total}…` : "Reading…";
        case "chunking":
          return "Splitting into passages…";
        case "embedding":
          return `Indexing passages (${p.done} of ${p.total})…`;
        case "saving":
          return "Saving…";
        case "done":
          return "Done.";
      }
    }
  }
}

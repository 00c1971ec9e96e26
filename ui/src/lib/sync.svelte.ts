// Where syncing stands, for the sidebar and the Account page. Read from the core (a local read, no network)
// every few seconds while the window is open, and at once after anything that changes it.
import { commands } from "./commands";
import type { SyncStatus } from "./bindings";

export const sync = $state<{ status: SyncStatus | null }>({ status: null });

export async function refreshSync(): Promise<void> {
  try {
    sync.status = await commands.syncStatus();
  } catch {
    // The sidebar keeps the last known state; the Account page shows errors itself.
  }
}

let timer: ReturnType<typeof setInterval> | undefined;

/** Starts the periodic refresh (once). */
export function watchSync(everyMs = 4000): void {
  if (timer) return;
  void refreshSync();
  timer = setInterval(() => void refreshSync(), everyMs);
}

/** The pill tone for a sync state. */
export function syncTone(state: string): "ok" | "warn" | "error" | "neutral" {
  switch (state) {
    case "synced":
      return "ok";
    case "pending":
    case "syncing":
    case "offline":
    case "signed_out":
      return "warn";
    case "error":
      return "error";
    default:
      return "neutral";
  }
}

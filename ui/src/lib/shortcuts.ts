// The keyboard shortcuts, listed once: the handler in App.svelte, the help overlay and the buttons' tooltips
// read this list. "Mod" is Ctrl, or Cmd on macOS.
export type ShortcutId = "new" | "search" | "zoom-in" | "zoom-out" | "zoom-reset" | "help";

export interface Shortcut {
  id: ShortcutId;
  /** The keys as shown ("Ctrl+N"). */
  keys: string;
  label: string;
}

export const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform ?? "");
const mod = isMac ? "⌘" : "Ctrl+";

export const SHORTCUTS: Shortcut[] = [
  { id: "new", keys: `${mod}N`, label: "New assessment" },
  { id: "search", keys: `${mod}K`, label: "Search the knowledge base" },
  { id: "zoom-in", keys: `${mod}+`, label: "Zoom in" },
  { id: "zoom-out", keys: `${mod}−`, label: "Zoom out" },
  { id: "zoom-reset", keys: `${mod}0`, label: "Zoom back to 100 %" },
  { id: "help", keys: "?", label: "Show these shortcuts" },
];

/** "Zoom in (Ctrl++)", for a tooltip. */
export function shortcut(id: ShortcutId): string {
  const s = SHORTCUTS.find((x) => x.id === id);
  return s ? `${s.label} (${s.keys})` : "";
}

/** Which shortcut a key press is, if any. `?` only counts outside text fields. */
export function match(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey">, inField: boolean): ShortcutId | null {
  const modDown = isMac ? e.metaKey : e.ctrlKey;
  if (modDown && !e.altKey) {
    switch (e.key.toLowerCase()) {
      case "n":
        return "new";
      case "k":
        return "search";
      case "+":
      case "=":
        return "zoom-in";
      case "-":
      case "_":
        return "zoom-out";
      case "0":
        return "zoom-reset";
    }
    return null;
  }
  if (!inField && !e.ctrlKey && !e.metaKey && !e.altKey && e.key === "?") return "help";
  return null;
}

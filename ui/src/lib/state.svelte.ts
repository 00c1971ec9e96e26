// App-wide state: the current page and the framework data (loaded once).
import { commands } from "./commands";
import type { ErrorPayload, FrameworkInfo, Pillar } from "./bindings";

export type Route =
  | { name: "home" }
  | { name: "select"; letter?: string }
  | { name: "quiz"; id: string }
  /** `fresh`: just finished in the quiz (the sidebar still says New assessment, as the steps do). */
  | { name: "results"; id: string; fresh?: boolean }
  | { name: "history" }
  | { name: "progress" }
  | { name: "profile"; id: string }
  | { name: "compare"; first: string; second: string }
  | { name: "coach"; id?: string }
  | { name: "knowledge" }
  | { name: "tools" }
  | { name: "documents" }
  | { name: "settings" }
  | { name: "account" }
  | { name: "teams"; id?: string }
  | { name: "round"; id: string; team: string }
  | { name: "advanced"; tab?: AdvancedTab };

/** The invitation code of a link Compilar was opened with (`compilar://join/…`), until it is used or put aside:
 * the Teams page offers to join with it, after signing in if need be. */
export const invitation = $state<{ code: string | null; error: ErrorPayload | null }>({ code: null, error: null });

/** Takes the link the app was opened with, if any, and goes to the Teams page with its code. */
export async function takeOpenedLink(): Promise<void> {
  try {
    const code = await commands.takeOpenedLink();
    if (code) {
      invitation.code = code;
      invitation.error = null;
      go({ name: "teams" });
    }
  } catch (e) {
    invitation.error = e as ErrorPayload;
    go({ name: "teams" });
  }
}

/** The Advanced place: diagnostics and power-user settings, one click from the sidebar. */
export type AdvancedTab = "diagnostics" | "playground" | "usage";

// After a restore or "delete all my data" the window reloads on a fresh core and opens Settings again, where
// the outcome is shown.
const afterDataChange = typeof sessionStorage !== "undefined" && sessionStorage.getItem("compilar.data-notice") !== null;
export const nav = $state<{ route: Route }>({ route: afterDataChange ? { name: "settings" } : { name: "home" } });

/** How long a page that loads before it shows its heading is waited for, to give the heading focus. */
const HEADING_WAIT_MS = 3000;

/** Counts navigations, so a heading watched for belongs to the page still shown (`nav.route` is a state
 * proxy: it never equals the object it was given). */
let navigations = 0;

export function go(route: Route): void {
  const mine = ++navigations;
  nav.route = route;
  window.scrollTo?.(0, 0);
  // The new page's main heading takes focus (a screen reader announces where the user is now). It is
  // rendered after this tick, or later when the page loads its data first (a result): watched for until it
  // appears, unless the user has moved focus or the page meanwhile.
  setTimeout(() => {
    if (focusHeading()) return;
    const main = document.querySelector("main");
    if (!main || typeof MutationObserver === "undefined") return;
    const observer = new MutationObserver(() => {
      if (navigations !== mine || !focusIsFree()) observer.disconnect();
      else if (focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    setTimeout(() => observer.disconnect(), HEADING_WAIT_MS);
  }, 0);
}

function focusIsFree(): boolean {
  const a = document.activeElement;
  return a === null || a === document.body || a.closest("nav") !== null;
}

function focusHeading(): boolean {
  const h = document.querySelector<HTMLElement>("main h1");
  if (!h) return false;
  h.tabIndex = -1;
  h.focus({ preventScroll: true });
  return true;
}

export const fw = $state<{ info: FrameworkInfo | null; error: ErrorPayload | null }>({
  info: null,
  error: null,
});

export async function loadFramework(): Promise<void> {
  fw.error = null;
  try {
    fw.info = await commands.framework();
  } catch (e) {
    fw.error = e as ErrorPayload;
  }
}

export function pillarById(id: string): Pillar | undefined {
  return fw.info?.framework.pillars.find((p) => p.id === id);
}

/** The PILAR letter and its name for a pillar ("A · Agency"), shown with the mode's pillar name. */
export function letterOf(pillarId: string): string {
  const p = pillarById(pillarId);
  const l = p ? fw.info?.framework.letters.find((x) => x.id === p.letter) : undefined;
  return l ? `${l.letter} · ${l.name}` : "";
}

export function modeName(id: string): string {
  return fw.info?.framework.modes.find((m) => m.id === id)?.name ?? id;
}

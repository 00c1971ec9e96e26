// The window's look: the theme (the system's or one chosen in Settings) and the zoom, both kept in the core's
// settings. The theme is applied as `data-theme` on <html>, which switches app.css's colours and, through
// `color-scheme`, the native controls (selects, scrollbars, fields).
import { getCurrentWebview } from "@tauri-apps/api/webview";
import type { Appearance, ErrorPayload, Theme } from "./bindings";
import { commands } from "./commands";

export const ZOOM_STEPS = [0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2] as const;

export const look = $state<{ theme: Theme; dark: boolean; zoom: number; error: ErrorPayload | null }>({
  theme: "system",
  dark: false,
  zoom: 1,
  error: null,
});

const media = typeof window !== "undefined" && window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

function apply(): void {
  look.dark = look.theme === "dark" || (look.theme === "system" && (media?.matches ?? false));
  document.documentElement.dataset.theme = look.dark ? "dark" : "light";
}

media?.addEventListener("change", apply);

async function applyZoom(): Promise<void> {
  try {
    await getCurrentWebview().setZoom(look.zoom);
  } catch {
    // Outside the app window (unit tests, a plain browser) there is no webview to zoom.
  }
}

/** Reads the stored look and applies it (the defaults when the core cannot be reached yet). */
export async function loadAppearance(): Promise<void> {
  try {
    const a = await commands.appearance();
    look.theme = a.theme;
    look.zoom = a.zoom;
  } catch {
    // The defaults stay: following the system at 100 %.
  }
  apply();
  if (look.zoom !== 1) await applyZoom();
}

async function save(a: Appearance): Promise<void> {
  look.error = null;
  try {
    const saved = await commands.setAppearance(a);
    look.theme = saved.theme;
    look.zoom = saved.zoom;
  } catch (e) {
    look.error = e as ErrorPayload;
  }
  apply();
  await applyZoom();
}

export function setTheme(theme: Theme): Promise<void> {
  return save({ theme, zoom: look.zoom });
}

/** One step in or out (`dir` ±1), or back to 100 % (`dir` 0). */
export function stepZoom(dir: -1 | 0 | 1): Promise<void> {
  let zoom = 1;
  if (dir !== 0) {
    const i = ZOOM_STEPS.findIndex((z) => z >= look.zoom - 0.001);
    const here = i < 0 ? ZOOM_STEPS.length - 1 : i;
    zoom = ZOOM_STEPS[Math.min(ZOOM_STEPS.length - 1, Math.max(0, here + dir))]!;
  }
  return save({ theme: look.theme, zoom });
}

/** A colour from app.css for the current theme (charts draw with these). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

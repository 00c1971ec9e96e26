// WCAG AA contrast of the colour pairs the UI draws text with, in both themes, read from app.css itself.
import { describe, expect, it } from "vitest";
import css from "../app.css?raw";

function block(selector: string): Record<string, string> {
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`no ${selector} block in app.css`);
  const body = css.slice(start, css.indexOf("}", start));
  const vars: Record<string, string> = {};
  for (const m of body.matchAll(/--([\w-]+):\s*([^;]+);/g)) vars[m[1]!] = m[2]!.trim();
  return vars;
}

const light = block(":root");
const dark = { ...light, ...block(':root[data-theme="dark"]') };

function rgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const n = parseInt(m[1]!, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function ratio(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

// [text, background, minimum]: 4.5 for text, 3 for focus rings and other non-text marks.
const PAIRS: [string, string, number][] = [
  ["text", "bg", 4.5],
  ["text", "surface", 4.5],
  ["text", "surface-2", 4.5],
  ["text-soft", "surface", 4.5],
  ["muted", "bg", 4.5],
  ["muted", "surface", 4.5],
  ["muted", "surface-2", 4.5],
  ["primary", "surface", 4.5],
  ["primary", "bg", 4.5],
  ["primary", "primary-soft", 4.5],
  ["on-primary", "primary", 4.5],
  ["on-primary", "danger", 4.5],
  ["accent", "surface", 4.5],
  ["accent", "accent-soft", 4.5],
  ["strong", "surface", 4.5],
  ["strong", "strong-soft", 4.5],
  ["mixed", "surface", 4.5],
  ["mixed", "mixed-soft", 4.5],
  ["strained", "surface", 4.5],
  ["strained", "danger-soft", 4.5],
  ["danger", "surface", 4.5],
  ["danger-text", "danger-soft", 4.5],
  ["warn-text", "warn-soft", 4.5],
  ["text", "warn-soft", 4.5],
  ["text", "mark", 4.5],
  ["sidebar-text", "sidebar", 4.5],
  ["sidebar-muted", "sidebar", 4.5],
  ["on-toast", "toast", 4.5],
  ["focus", "surface", 3],
  ["focus", "bg", 3],
  ["sidebar-focus", "sidebar", 3],
];

describe.each([
  ["light", light],
  ["dark", dark],
])("the %s theme", (_name, vars) => {
  it.each(PAIRS)("--%s on --%s meets WCAG AA (≥ %s:1)", (fg, bg, min) => {
    const a = vars[fg];
    const b = vars[bg];
    expect(a, `--${fg}`).toBeDefined();
    expect(b, `--${bg}`).toBeDefined();
    expect(ratio(a!, b!)).toBeGreaterThanOrEqual(min);
  });
});

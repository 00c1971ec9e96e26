import { describe, expect, it } from "vitest";
import { SHORTCUTS, match } from "./shortcuts";

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe("keyboard shortcuts", () => {
  it("maps each listed shortcut's keys (Ctrl outside macOS)", () => {
    expect(match(key("n", { ctrlKey: true }), false)).toBe("new");
    expect(match(key("K", { ctrlKey: true }), true)).toBe("search");
    expect(match(key("=", { ctrlKey: true }), false)).toBe("zoom-in");
    expect(match(key("+", { ctrlKey: true }), false)).toBe("zoom-in");
    expect(match(key("-", { ctrlKey: true }), false)).toBe("zoom-out");
    expect(match(key("0", { ctrlKey: true }), false)).toBe("zoom-reset");
    expect(match(key("?"), false)).toBe("help");
  });

  it("leaves typing alone: plain keys, ? in a field, Alt combinations", () => {
    expect(match(key("n"), false)).toBeNull();
    expect(match(key("?"), true)).toBeNull();
    expect(match(key("n", { ctrlKey: true, altKey: true }), false)).toBeNull();
    expect(match(key("c", { ctrlKey: true }), true)).toBeNull();
  });

  it("lists every shortcut the handler knows, once", () => {
    const ids = SHORTCUTS.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(["new", "search", "zoom-in", "zoom-out", "zoom-reset", "help"]);
  });
});

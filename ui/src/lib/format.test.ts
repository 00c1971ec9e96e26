import { describe, expect, it } from "vitest";
import { countOf, formatChange, formatScore, humanSeconds, relativeDate } from "./format";

const now = new Date("2026-12-01T12:00:00Z");
const ago = (secs: number) => new Date(now.getTime() - secs * 1000).toISOString();

describe("relative dates", () => {
  it("says how long ago, in words", () => {
    expect(relativeDate(ago(10), now)).toBe("just now");
    expect(relativeDate(ago(60), now)).toBe("1 minute ago");
    expect(relativeDate(ago(5 * 60), now)).toBe("5 minutes ago");
    expect(relativeDate(ago(2 * 3600), now)).toBe("2 hours ago");
    expect(relativeDate(ago(86400), now)).toBe("yesterday");
    expect(relativeDate(ago(2 * 86400), now)).toBe("2 days ago");
    expect(relativeDate(ago(14 * 86400), now)).toBe("2 weeks ago");
  });

  it("gives the date itself beyond a month, and the future as 'in …'", () => {
    expect(relativeDate("2026-03-12T10:00:00Z", now, "en-GB")).toBe("12 Mar 2026");
    expect(relativeDate(ago(-3 * 86400), now)).toBe("in 3 days");
    expect(relativeDate(ago(-86400), now)).toBe("tomorrow");
  });

  it("is empty for nothing or nonsense", () => {
    expect(relativeDate(null, now)).toBe("");
    expect(relativeDate("not a date", now)).toBe("");
  });
});

describe("humanSeconds", () => {
  it("says a length of time in words", () => {
    expect(humanSeconds(45)).toBe("45 s");
    expect(humanSeconds(600)).toBe("10 min");
    expect(humanSeconds(3600)).toBe("1 h");
    expect(humanSeconds(3900)).toBe("1 h 5 min");
    expect(humanSeconds(3 * 86400)).toBe("3 days");
    expect(humanSeconds(-5)).toBe("0 s");
  });
});

describe("changes", () => {
  it("are whole points with a sign, and a minus sign for a fall", () => {
    expect(formatChange(16)).toBe("+16");
    expect(formatChange(-3)).toBe("\u22123");
    expect(formatChange(0)).toBe("0");
    expect(formatChange(-0.2)).toBe("0");
  });

  it("agree with the scores shown beside them", () => {
    // 40.4 and 56.4 are shown as 40 and 56; the core sends 16, and 16 is what is shown.
    expect(`${formatScore(40.4)} \u2192 ${formatScore(56.4)}, ${formatChange(16)}`).toBe("40 \u2192 56, +16");
  });
});

describe("counts", () => {
  it("agree with their nouns", () => {
    expect(countOf(1, "model", "models")).toBe("1 model");
    expect(countOf(2, "model", "models")).toBe("2 models");
    expect(countOf(0, "backup", "backups")).toBe("0 backups");
  });
});

import { describe, expect, it } from "vitest";
import { clampIndex, finishWarning, keyAction, nextUnanswered, progress, resumeIndex } from "./quiz";
import { formatScore } from "./format";
import { toErrorPayload } from "./invoke";

const ids = ["a", "b", "c", "d"];

describe("progress", () => {
  it("counts only the assessment's questions", () => {
    expect(progress(ids, { a: 3, c: 5, z: 1 })).toEqual({ answered: 2, total: 4, percent: 50, complete: false });
    expect(progress(ids, { a: 1, b: 1, c: 1, d: 1 }).complete).toBe(true);
    expect(progress([], {})).toEqual({ answered: 0, total: 0, percent: 0, complete: false });
  });
});

describe("navigation", () => {
  it("resumes at the first unanswered question", () => {
    expect(resumeIndex(ids, {})).toBe(0);
    expect(resumeIndex(ids, { a: 2, b: 4 })).toBe(2);
    expect(resumeIndex(ids, { a: 2, b: 4, c: 1, d: 3 })).toBe(3);
  });
  it("moves to the next unanswered question, wrapping around", () => {
    expect(nextUnanswered(ids, { a: 1 }, 0)).toBe(1);
    expect(nextUnanswered(ids, { a: 1, b: 1, d: 1 }, 3)).toBe(2);
    expect(nextUnanswered(ids, { a: 1, b: 1, c: 1, d: 1 }, 1)).toBeNull();
  });
  it("clamps indexes", () => {
    expect(clampIndex(-1, 4)).toBe(0);
    expect(clampIndex(9, 4)).toBe(3);
    expect(clampIndex(2, 0)).toBe(0);
  });
});

describe("keyboard", () => {
  it("maps digits on the scale to answers and arrows to moves", () => {
    expect(keyAction("3", 1, 5)).toEqual({ kind: "answer", value: 3 });
    expect(keyAction("0", 1, 5)).toEqual({ kind: "none" });
    expect(keyAction("6", 1, 5)).toEqual({ kind: "none" });
    expect(keyAction("ArrowLeft", 1, 5)).toEqual({ kind: "move", delta: -1 });
    expect(keyAction("Enter", 1, 5)).toEqual({ kind: "move", delta: 1 });
    expect(keyAction("x", 1, 5)).toEqual({ kind: "none" });
  });
});

describe("finishing", () => {
  it("warns before finishing an incomplete quiz", () => {
    expect(finishWarning({ total: 12 }, 12)).toBeNull();
    // Nothing answered: no warning here; completing is refused by the core with `no_answers`.
    expect(finishWarning({ total: 12 }, 0)).toBeNull();
    expect(finishWarning({ total: 12 }, 11)).toMatch(/^1 of 12 questions is unanswered/);
    expect(finishWarning({ total: 12 }, 7)).toMatch(/^5 of 12 questions are unanswered/);
  });
});

describe("display helpers", () => {
  // Bands come from the core now (domain::scoring::Band, tested there with the same thresholds).
  it("formats scores", () => {
    expect(formatScore(54.16)).toBe("54");
    expect(formatScore(null)).toBe("–");
  });
});

describe("errors", () => {
  it("keeps the core's error payload and wraps anything else", () => {
    expect(toErrorPayload({ code: "unknown_pillar", message: "Unknown pillar", retryable: false })).toEqual({
      code: "unknown_pillar",
      message: "Unknown pillar",
      retryable: false,
    });
    expect(toErrorPayload("invalid args `req` for command `answer`").code).toBe("invalid_argument");
    expect(toErrorPayload(undefined)).toEqual({
      code: "internal",
      message: "Something went wrong inside Compilar.",
      retryable: false,
    });
  });
});

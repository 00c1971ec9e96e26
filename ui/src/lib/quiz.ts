// The quiz's navigation and progress logic, kept free of the DOM so it can be unit-tested.
import type { Assessment } from "./bindings";

export type Answers = Record<string, number>;

export interface Progress {
  answered: number;
  total: number;
  /** 0–100, for the progress bar. */
  percent: number;
  complete: boolean;
}

export function progress(questionIds: readonly string[], answers: Answers): Progress {
  const total = questionIds.length;
  const answered = questionIds.filter((id) => answers[id] !== undefined).length;
  return {
    answered,
    total,
    percent: total === 0 ? 0 : Math.round((answered / total) * 100),
    complete: total > 0 && answered === total,
  };
}

/** Where to open a quiz: the first unanswered question, or the last one when all are answered. */
export function resumeIndex(questionIds: readonly string[], answers: Answers): number {
  const i = questionIds.findIndex((id) => answers[id] === undefined);
  return i === -1 ? Math.max(0, questionIds.length - 1) : i;
}

/** After answering question `index`: the next unanswered question after it (wrapping), or null if none. */
export function nextUnanswered(
  questionIds: readonly string[],
  answers: Answers,
  index: number,
): number | null {
  const n = questionIds.length;
  for (let step = 1; step <= n; step++) {
    const i = (index + step) % n;
    const id = questionIds[i];
    if (id !== undefined && answers[id] === undefined) return i;
  }
  return null;
}

export function clampIndex(index: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(Math.max(index, 0), total - 1);
}

export type QuizKeyAction =
  | { kind: "answer"; value: number }
  | { kind: "move"; delta: number }
  | { kind: "none" };

/** Keyboard use in the quiz: digits answer on the scale, arrows and Enter move. */
export function keyAction(key: string, min: number, max: number): QuizKeyAction {
  if (/^[0-9]$/.test(key)) {
    const v = Number(key);
    if (v >= min && v <= max) return { kind: "answer", value: v };
    return { kind: "none" };
  }
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
    case "Enter":
      return { kind: "move", delta: 1 };
    case "ArrowLeft":
    case "ArrowUp":
      return { kind: "move", delta: -1 };
    default:
      return { kind: "none" };
  }
}

/** The message shown before finishing an incomplete quiz, or null when no confirmation is needed. */
export function finishWarning(a: Pick<Assessment, "total">, answered: number): string | null {
  // With nothing answered there is nothing to warn about: the core refuses to complete (`no_answers`).
  if (answered >= a.total || answered === 0) return null;
  const missing = a.total - answered;
  return `${missing} of ${a.total} questions ${missing === 1 ? "is" : "are"} unanswered. Your results will be less certain. Finish anyway?`;
}

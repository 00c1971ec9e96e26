import { describe, expect, it } from "vitest";
import { Action } from "./action.svelte";

describe("Action", () => {
  it("keeps the error an action threw, clears it on the next, and says whether it worked", async () => {
    const a = new Action();
    const refused = { code: "invalid_argument", message: "No.", retryable: false };
    let during = false;
    expect(
      await a.run(async () => {
        during = a.busy;
        throw refused;
      }),
    ).toBe(false);
    expect(during).toBe(true);
    expect(a.busy).toBe(false);
    expect(a.error).toEqual(refused);
    expect(await a.run(async () => 1)).toBe(true);
    expect(a.error).toBe(null);
  });
});

import { describe, expect, it } from "vitest";
import { applyEvent, canRetryElsewhere, startStream } from "./stream";
import type { StreamEvent } from "./bindings";

const started: StreamEvent = {
  event: "started",
  provider: "anthropic",
  provider_label: "Anthropic",
  model: "claude",
  fallback_from: ["OpenAI"],
};

describe("stream state", () => {
  it("collects tokens and ends with a summary", () => {
    let s = startStream();
    for (const e of [
      started,
      { event: "token", text: "Hello " },
      { event: "token", text: "team." },
      {
        event: "done",
        provider: "anthropic",
        provider_label: "Anthropic",
        model: "claude",
        usage: { input_tokens: 10, output_tokens: 2 },
        latency_ms: 1500,
        ttft_ms: 300,
      },
    ] as StreamEvent[]) {
      s = applyEvent(s, e);
    }
    expect(s.status).toBe("done");
    expect(s.text).toBe("Hello team.");
    expect(s.fallbackFrom).toEqual(["OpenAI"]);
    expect(s.summary).toContain("first token 300 ms");
    expect(canRetryElsewhere(s)).toBe(false);
  });

  it("keeps the partial answer and offers another provider after a mid-stream failure", () => {
    let s = applyEvent(applyEvent(startStream(), started), { event: "token", text: "Half" });
    s = applyEvent(s, {
      event: "error",
      code: "provider_unreachable",
      message: "Anthropic: The connection ended before the answer was complete.",
      retryable: true,
      provider: "anthropic",
      after_first_token: true,
    });
    expect(s.status).toBe("failed");
    expect(s.text).toBe("Half");
    expect(s.partial).toBe(true);
    expect(canRetryElsewhere(s)).toBe(true);
  });

  it("treats a stop as stopped, not failed", () => {
    const s = applyEvent(startStream(), {
      event: "error",
      code: "cancelled",
      message: "Stopped.",
      retryable: false,
      provider: "openai",
      after_first_token: false,
    });
    expect(s.status).toBe("stopped");
    expect(s.error).toBeNull();
  });
});

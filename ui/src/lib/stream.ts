// The state of a streamed answer, built from the core's stream events.
import type { ErrorPayload, Passage, StreamEvent } from "./bindings";

export interface StreamState {
  status: "idle" | "waiting" | "streaming" | "done" | "stopped" | "failed";
  text: string;
  provider: string | null;
  providerLabel: string | null;
  model: string | null;
  fallbackFrom: string[];
  summary: string | null;
  error: ErrorPayload | null;
  /** Providers to skip when the user asks to retry with another one. */
  failedProvider: string | null;
  partial: boolean;
  /** Passages the answer cited, in the order first cited (each checked by the core against what was sent). */
  citations: Passage[];
}

export function initialStream(): StreamState {
  return {
    status: "idle",
    text: "",
    provider: null,
    providerLabel: null,
    model: null,
    fallbackFrom: [],
    summary: null,
    error: null,
    failedProvider: null,
    partial: false,
    citations: [],
  };
}

export function startStream(): StreamState {
  return { ...initialStream(), status: "waiting" };
}

/** Applies one event; returns the new state (the old one is not changed). */
export function applyEvent(s: StreamState, e: StreamEvent): StreamState {
  switch (e.event) {
    case "started":
      return {
        ...s,
        status: "streaming",
        provider: e.provider,
        providerLabel: e.provider_label,
        model: e.model,
        fallbackFrom: e.fallback_from,
      };
    case "token":
      return { ...s, status: "streaming", text: s.text + e.text };
    case "citation":
      if (s.citations.some((p) => p.number === e.number)) return s;
      return { ...s, citations: [...s.citations, e.passage] };
    case "done": {
      const secs = (e.latency_ms / 1000).toFixed(1);
      return {
        ...s,
        status: "done",
        provider: e.provider,
        providerLabel: e.provider_label,
        model: e.model,
        summary: `${e.provider_label} · ${e.model} · ${e.usage.input_tokens} → ${e.usage.output_tokens} tokens · first token ${e.ttft_ms} ms · ${secs} s`,
      };
    }
    case "error":
      if (e.code === "cancelled") {
        return { ...s, status: "stopped", partial: e.after_first_token };
      }
      return {
        ...s,
        status: "failed",
        error: {
          code: e.code,
          message: e.message,
          retryable: e.retryable,
          ...(e.retry_after_ms === undefined ? {} : { retry_after_ms: e.retry_after_ms }),
          ...(e.provider === undefined ? {} : { provider: e.provider }),
        },
        failedProvider: e.provider ?? null,
        partial: e.after_first_token,
      };
  }
}

/** Whether "retry with another provider" makes sense. */
export function canRetryElsewhere(s: StreamState): boolean {
  return s.status === "failed" && s.failedProvider !== null;
}

// The one place the UI talks to Tauri's IPC. The typed command wrappers (commands.ts) are generated from the
// shell's command list and call through here.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { ErrorPayload } from "./bindings";

/** Turns anything a command may reject with into an ErrorPayload the UI can show. */
export function toErrorPayload(e: unknown): ErrorPayload {
  if (typeof e === "object" && e !== null) {
    const o = e as Record<string, unknown>;
    if (typeof o.code === "string" && typeof o.message === "string") {
      const p: ErrorPayload = {
        code: o.code as ErrorPayload["code"],
        message: o.message,
        retryable: o.retryable === true,
      };
      if (typeof o.retry_after_ms === "number") p.retry_after_ms = o.retry_after_ms;
      if (typeof o.provider === "string") p.provider = o.provider;
      if (typeof o.field === "string") p.field = o.field;
      return p;
    }
  }
  if (typeof e === "string" && e.length > 0) {
    // Tauri reports argument errors as plain strings; they mean the UI sent something the core cannot read.
    return { code: "invalid_argument", message: e, retryable: false };
  }
  return { code: "internal", message: "Something went wrong inside Compilar.", retryable: false };
}

export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toErrorPayload(e);
  }
}

/** A channel whose messages go to `listener`. */
export function channelOf<T>(listener: (event: T) => void): Channel<T> {
  const channel = new Channel<T>();
  channel.onmessage = listener;
  return channel;
}

// What a page's actions share: whether one is running, and the last error for its ErrorBanner. Replaces the
// try/catch every handler used to repeat (`catch (e) { error = e as ErrorPayload }`).
import type { ErrorPayload } from "./bindings";

export class Action {
  /** An action is running (buttons that start another say so or wait). */
  busy = $state(false);
  /** The last action's error, as the core sent it; cleared when the next one starts. */
  error = $state<ErrorPayload | null>(null);

  /** Runs `f`: clears the last error, marks busy, keeps what `f` throws as the error. Whether it succeeded. */
  async run(f: () => Promise<unknown>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await f();
      return true;
    } catch (e) {
      this.error = e as ErrorPayload;
      return false;
    } finally {
      this.busy = false;
    }
  }
}

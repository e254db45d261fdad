export interface WaitForOptions {
  /** Give up after this many ms (default 15 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  intervalMs?: number;
  /** What is being waited for, used in the timeout message. */
  description?: string;
}

/**
 * Calls `check` until it returns a value other than `undefined`/`false` and returns that value.
 * A throwing `check` counts as "not yet"; its last error is kept as the timeout error's cause.
 * A check may throw an error with `abort: true` set to stop waiting at once (e.g. the process died).
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof Error && (error as Error & { abort?: boolean }).abort) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.description ?? "a condition"}`, {
        cause: lastError,
      });
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, intervalMs));
  }
}

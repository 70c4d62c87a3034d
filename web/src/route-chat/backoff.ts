export interface BackoffOptions {
  /** First delay in ms. Default: 500. */
  initialMs?: number;
  /** Longest delay in ms. Default: 10,000. */
  maxMs?: number;
  /** Default: Math.random. */
  random?: () => number;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): doubling from initialMs up to maxMs,
 * with "equal jitter" (between half and all of it) so many tabs don't reconnect in lockstep
 * after a server restart.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 10_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after ms, or at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

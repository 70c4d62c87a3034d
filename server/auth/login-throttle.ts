/**
 * Slows down repeated failed logins for the same username: after `freeAttempts` failures in
 * a row, each further attempt waits twice as long as the one before, up to `maxDelayMs`.
 * A success, or `windowMs` without failures, starts over.
 */
export interface LoginThrottle {
  /** How long to wait before checking this attempt's password. */
  delayFor(username: string): number;
  recordFailure(username: string): void;
  recordSuccess(username: string): void;
}

export interface LoginThrottleOptions {
  /** Failures answered without delay. Default: 3. */
  freeAttempts?: number;
  /** Delay after the first counted failure. Default: 250 ms. */
  baseDelayMs?: number;
  /** Longest delay. Default: 8,000 ms. */
  maxDelayMs?: number;
  /** Failures older than this are forgotten. Default: 15 minutes. */
  windowMs?: number;
  /** Most usernames tracked at once (oldest forgotten first). Default: 10,000. */
  maxTracked?: number;
  now?: () => number;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const freeAttempts = options.freeAttempts ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 8_000;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxTracked = options.maxTracked ?? 10_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; last: number }>();
  const key = (username: string) => username.toLowerCase();

  return {
    delayFor(username) {
      const entry = failures.get(key(username));
      if (entry === undefined || now() - entry.last > windowMs) return 0;
      const counted = entry.count - freeAttempts;
      return counted < 0 ? 0 : Math.min(maxDelayMs, baseDelayMs * 2 ** counted);
    },
    recordFailure(username) {
      const k = key(username);
      const entry = failures.get(k);
      const fresh = entry === undefined || now() - entry.last > windowMs;
      failures.delete(k);
      failures.set(k, { count: fresh ? 1 : entry.count + 1, last: now() });
      if (failures.size > maxTracked) failures.delete(failures.keys().next().value as string);
    },
    recordSuccess(username) {
      failures.delete(key(username));
    },
  };
}

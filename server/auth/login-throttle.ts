/**
 * Slows down password guessing per username and client address. The first `freeAttempts`
 * attempts go through at once; after that each attempt must come at least a delay after the
 * previous one, the delay doubling from `baseDelayMs` up to `maxDelayMs`, and an attempt that
 * comes sooner is refused (the caller answers RESOURCE_EXHAUSTED with the wait) without
 * checking the password. Attempts are counted when they start, so parallel guesses are
 * serialised like sequential ones. A success, or `windowMs` without attempts, starts over.
 *
 * Keyed by username and address, so guesses from one address do not lock the user out from
 * another (a username-wide lock would let anyone lock anyone out).
 *
 * In memory by default; shared by every replica through Redis when REDIS_URL is set
 * (redis-login-throttle.ts), so that guesses spread over replicas are spaced as on one.
 */
export interface LoginThrottle {
  /** Counts an attempt: 0 if it may proceed now, else the ms to wait before the next one may. */
  attempt(username: string, address: string): Promise<number>;
  recordSuccess(username: string, address: string): Promise<void>;
}

export interface LoginThrottleOptions {
  /** Attempts let through without delay. Default: 3. */
  freeAttempts?: number;
  /** Wait required after the first counted attempt. Default: 250 ms. */
  baseDelayMs?: number;
  /** Longest wait. Default: 8,000 ms. */
  maxDelayMs?: number;
  /** Attempts older than this are forgotten. Default: 15 minutes. */
  windowMs?: number;
  /** Most (username, address) pairs tracked at once; the least recent are forgotten first. Default: 10,000. */
  maxTracked?: number;
  now?: () => number;
}

interface Entry {
  count: number;
  last: number;
  /** Earliest time the next attempt is let through. */
  nextAt: number;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle & { /** Entries tracked (tests of the memory bound). */ size(): number } {
  const freeAttempts = options.freeAttempts ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 8_000;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxTracked = options.maxTracked ?? 10_000;
  const now = options.now ?? Date.now;
  // Insertion order is recency order (entries are re-inserted on use): the oldest come first.
  const entries = new Map<string, Entry>();
  const key = (username: string, address: string) => `${username.toLowerCase()}\u0000${address}`;

  function forgetStale(at: number): void {
    for (const [k, entry] of entries) {
      if (at - entry.last <= windowMs && entries.size < maxTracked) return;
      entries.delete(k);
    }
  }

  return {
    async attempt(username, address) {
      const at = now();
      const k = key(username, address);
      let entry = entries.get(k);
      if (entry !== undefined && at - entry.last > windowMs) entry = undefined;
      if (entry !== undefined && at < entry.nextAt) return entry.nextAt - at;
      const count = (entry?.count ?? 0) + 1;
      const counted = count - freeAttempts;
      const nextAt = counted > 0 ? at + Math.min(maxDelayMs, baseDelayMs * 2 ** (counted - 1)) : at;
      entries.delete(k);
      forgetStale(at);
      entries.set(k, { count, last: at, nextAt });
      return 0;
    },
    async recordSuccess(username, address) {
      entries.delete(key(username, address));
    },
    size: () => entries.size,
  };
}

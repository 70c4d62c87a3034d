/**
 * Token buckets, one per key (a client address, a user), each holding up to `limit` tokens
 * and refilled at `limit` per `periodMs`. Memory stays bounded whatever the keys: at most
 * `maxKeys` buckets are kept, full ones are dropped first (a full bucket is the same as none),
 * then the least recently used.
 */
export interface RateLimiter {
  /** Takes one token for `key`: 0 if it was there, otherwise how many ms until one is. */
  take(key: string): number;
  /** Buckets currently kept (for tests of the memory bound). */
  size(): number;
}

/** "10/s": at most `limit` per `periodMs`, in bursts of up to `limit`. */
export interface Rate {
  limit: number;
  periodMs: number;
}

export interface RateLimiterOptions extends Rate {
  /** Most buckets kept at once. Default: 10,000. */
  maxKeys?: number;
  /** Milliseconds, monotonic. Default: performance.now. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { limit, periodMs } = options;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? (() => performance.now());
  const perMs = limit / periodMs;
  // A Map iterates in insertion order; re-inserting on use keeps it least-recently-used first.
  const buckets = new Map<string, Bucket>();

  const refilled = (bucket: Bucket, at: number) => Math.min(limit, bucket.tokens + (at - bucket.at) * perMs);

  function makeRoom(at: number): void {
    for (const [key, bucket] of buckets) {
      if (buckets.size < maxKeys) return;
      if (refilled(bucket, at) >= limit) buckets.delete(key);
    }
    while (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
  }

  return {
    take(key) {
      const at = now();
      const existing = buckets.get(key);
      if (existing === undefined && buckets.size >= maxKeys) makeRoom(at);
      const bucket = existing ?? { tokens: limit, at };
      bucket.tokens = refilled(bucket, at);
      bucket.at = at;
      buckets.delete(key);
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / perMs);
    },
    size: () => buckets.size,
  };
}

const PERIODS: Record<string, number> = { s: 1_000, sec: 1_000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * Reads a rate as written in the environment: "10/s", "30/min", "100/h"; "0" or "off" for no
 * limit (undefined).
 */
export function parseRate(text: string, name: string): Rate | undefined {
  const value = text.trim().toLowerCase();
  if (value === "0" || value === "off") return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)$/.exec(value);
  const periodMs = match ? PERIODS[match[2] as string] : undefined;
  const limit = match ? Number(match[1]) : NaN;
  if (periodMs === undefined || !(limit > 0)) {
    throw new Error(`${name} must look like "10/s", "30/min" or "100/h", or be "off"; got "${text}"`);
  }
  return { limit, periodMs };
}

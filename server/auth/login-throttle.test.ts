import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRedisLink, type RedisLink } from "../redis/redis-link.js";
import { createTestRedisPrefix, TEST_REDIS_URL } from "../test-support/test-services.js";
import { createLoginThrottle, type LoginThrottle, type LoginThrottleOptions } from "./login-throttle.js";
import { createRedisLoginThrottle } from "./redis-login-throttle.js";

let link: RedisLink;
const redisPrefix = createTestRedisPrefix();
beforeAll(async () => {
  link = await openRedisLink({ url: TEST_REDIS_URL, keyPrefix: redisPrefix.prefix });
});
afterAll(async () => {
  await redisPrefix.clear();
  await link?.close();
});

// The same rules in memory (one replica) and in Redis (shared by all).
const engines: [string, (options: LoginThrottleOptions) => LoginThrottle][] = [
  ["in memory", (options) => createLoginThrottle(options)],
  ["in Redis", (options) => createRedisLoginThrottle(link, options)],
];

describe.each(engines)("login throttle %s", (_engine, create) => {
  // Redis keeps entries across tests: each test uses names of its own.
  const name = (base: string) => `${base}-${Math.random().toString(36).slice(2, 8)}`;

  it("after the free attempts, spaces attempts by a doubling delay up to the maximum, per username ignoring case", async () => {
    let now = 1_700_000_000_000;
    const throttle = create({ freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 350, now: () => now });
    const ada = name("Ada");
    const spacing: number[] = [];
    for (let i = 0; i < 7; i++) {
      // An attempt that comes too soon is refused with the wait; one after the wait goes through.
      const wait = await throttle.attempt(i % 2 ? ada.toLowerCase() : ada.toUpperCase(), "10.0.0.1");
      if (wait > 0) {
        now += wait;
        expect(await throttle.attempt(ada, "10.0.0.1")).toBe(0);
      }
      spacing.push(wait);
    }
    expect(spacing).toEqual([0, 0, 0, 100, 200, 350, 350]);
    expect(await throttle.attempt(name("grace"), "10.0.0.1")).toBe(0);
  });

  it("counts parallel attempts: the fourth at the same instant is refused with the wait", async () => {
    const throttle = create({ freeAttempts: 3, baseDelayMs: 250, now: () => 1_700_000_000_000 });
    const victim = name("victim");
    const waits = await Promise.all([1, 2, 3, 4, 5, 6].map(() => throttle.attempt(victim, "10.0.0.1")));
    expect(waits).toEqual([0, 0, 0, 0, 250, 250]);
  });

  it("keeps other addresses' attempts apart, and forgets after a success or the window", async () => {
    let now = 1_700_000_000_000;
    const throttle = create({ freeAttempts: 0, baseDelayMs: 100, windowMs: 1000, now: () => now });
    const ada = name("ada");
    expect(await throttle.attempt(ada, "attacker")).toBe(0);
    expect(await throttle.attempt(ada, "attacker")).toBe(100);
    expect(await throttle.attempt(ada, "victim")).toBe(0);
    await throttle.recordSuccess(ada, "attacker");
    expect(await throttle.attempt(ada, "attacker")).toBe(0);
    now += 1001;
    expect(await throttle.attempt(ada, "attacker")).toBe(0);
  });
});

describe("login throttle in Redis", () => {
  it("is shared: attempts through two replicas' links count together", async () => {
    const other = await openRedisLink({ url: TEST_REDIS_URL, keyPrefix: redisPrefix.prefix });
    try {
      const options = { freeAttempts: 1, baseDelayMs: 500, now: () => 1_700_000_000_000 };
      const [a, b] = [createRedisLoginThrottle(link, options), createRedisLoginThrottle(other, options)];
      expect(await a.attempt("shared-user", "10.0.0.9")).toBe(0);
      expect(await b.attempt("shared-user", "10.0.0.9")).toBe(0);
      expect(await a.attempt("shared-user", "10.0.0.9")).toBe(500);
      expect(await b.attempt("shared-user", "10.0.0.9")).toBe(500);
    } finally {
      await other.close();
    }
  });

  it("expires its entries with the window", async () => {
    const throttle = createRedisLoginThrottle(link, { windowMs: 60_000 });
    await throttle.attempt("expiring", "10.0.0.1");
    const ttl = await link.commands.pTTL(link.key("login:expiring:10.0.0.1"));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe("login throttle in memory", () => {
  it("tracks at most maxTracked pairs", async () => {
    let now = 0;
    const throttle = createLoginThrottle({ maxTracked: 100, now: () => now++ });
    for (let i = 0; i < 1000; i++) await throttle.attempt(`user${i}`, "10.0.0.1");
    expect(throttle.size()).toBeLessThanOrEqual(100);
  });
});

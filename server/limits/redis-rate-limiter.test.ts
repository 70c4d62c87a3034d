import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRedisLink, type RedisLink } from "../redis/redis-link.js";
import { createTestRedisPrefix, TEST_REDIS_URL } from "../test-support/test-services.js";
import { createRedisRateLimiter } from "./redis-rate-limiter.js";

const prefix = createTestRedisPrefix();
let links: RedisLink[] = [];
beforeAll(async () => {
  links = await Promise.all([0, 1].map(() => openRedisLink({ url: TEST_REDIS_URL, keyPrefix: prefix.prefix })));
});
afterAll(async () => {
  await prefix.clear();
  await Promise.all(links.map((link) => link.close()));
});

describe("rate limits in Redis", () => {
  it("draw from one bucket per client on every replica", async () => {
    // One token per 20 s: however slow this machine is, none comes back during the test.
    const rate = { limit: 3, periodMs: 60_000 };
    const [a, b] = links.map((link) => createRedisRateLimiter(link, "notes", rate)) as [(key: string) => Promise<number>, (key: string) => Promise<number>];
    expect([await a("client-1"), await b("client-1"), await a("client-1")]).toEqual([0, 0, 0]);
    const wait = await b("client-1");
    expect(wait).toBeGreaterThan(10_000);
    expect(wait).toBeLessThanOrEqual(20_000);
    // Another client has its own bucket.
    expect(await b("client-2")).toBe(0);
  });

  it("refills at the rate: after the wait it names, a token is there", async () => {
    const take = createRedisRateLimiter(links[0]!, "chat", { limit: 3, periodMs: 600 });
    let wait = 0;
    for (let i = 0; i < 20 && wait === 0; i++) wait = await take("client-3");
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(200);
    await new Promise((resolve) => setTimeout(resolve, wait + 20));
    expect(await take("client-3")).toBe(0);
  });

  it("lets a bucket expire once it would be full again", async () => {
    const take = createRedisRateLimiter(links[0]!, "signUp", { limit: 10, periodMs: 60_000 });
    await take("10.0.0.7");
    const ttl = await links[0]!.commands.pTTL(links[0]!.key("rate:signUp:10.0.0.7"));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

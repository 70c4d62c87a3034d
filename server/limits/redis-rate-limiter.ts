import type { RedisLink } from "../redis/redis-link.js";
import type { Rate } from "./rate-limiter.js";

/**
 * The token bucket of rate-limiter.ts, kept in Redis so that every replica draws from the same
 * bucket per client: behind a load balancer a client's calls land on any replica, and per-replica
 * buckets would multiply its rate by the number of replicas. Redis's own clock (TIME) is used, so
 * replicas' clocks need not agree. A bucket expires once it would be full again. While Redis is
 * unreachable the limited calls fail UNAVAILABLE rather than go unlimited.
 */
const TAKE = `
local limit, perMs, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or limit
local at = tonumber(bucket[2]) or now
tokens = math.min(limit, tokens + (now - at) * perMs)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / perMs) end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.3f', now))
redis.call('PEXPIRE', KEYS[1], ttl)
return wait`;

/** Takes one token for `key` from the shared bucket `name`: 0 if there was one, else the ms until one is. */
export function createRedisRateLimiter(link: RedisLink, name: string, rate: Rate): (key: string) => Promise<number> {
  const perMs = rate.limit / rate.periodMs;
  const args = [String(rate.limit), String(perMs), String(Math.ceil(rate.periodMs))];
  return async (key) => {
    const reply = await link.run(link.commands.eval(TAKE, { keys: [link.key(`rate:${name}:${key}`)], arguments: args }));
    return Number(reply);
  };
}

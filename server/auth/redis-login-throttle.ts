import type { RedisLink } from "../redis/redis-link.js";
import type { LoginThrottle, LoginThrottleOptions } from "./login-throttle.js";

/**
 * The login throttle of login-throttle.ts, kept in Redis so that every replica counts the same
 * attempts: one hash per (username, address) that expires with the window. The script is the
 * in-memory rule step for step, run atomically, so parallel guesses on several replicas are
 * spaced as on one. While Redis is unreachable logins fail UNAVAILABLE rather than go unthrottled.
 */
const ATTEMPT = `
local now, free, base, max, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local entry = redis.call('HMGET', KEYS[1], 'count', 'last', 'nextAt')
local count, last, nextAt = tonumber(entry[1]), tonumber(entry[2]), tonumber(entry[3])
if count and now - last > window then count = nil end
if count and now < nextAt then return nextAt - now end
count = (count or 0) + 1
local counted = count - free
local after = now
if counted > 0 then after = now + math.min(max, base * 2 ^ math.min(counted - 1, 40)) end
redis.call('HSET', KEYS[1], 'count', count, 'last', string.format('%.0f', now), 'nextAt', string.format('%.0f', after))
redis.call('PEXPIRE', KEYS[1], window)
return 0`;

export function createRedisLoginThrottle(link: RedisLink, options: Omit<LoginThrottleOptions, "maxTracked"> = {}): LoginThrottle {
  const freeAttempts = options.freeAttempts ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 8_000;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const key = (username: string, address: string) => link.key(`login:${encodeURIComponent(username.toLowerCase())}:${address}`);
  return {
    async attempt(username, address) {
      const args = [now(), freeAttempts, baseDelayMs, maxDelayMs, windowMs].map(String);
      return Number(await link.run(link.commands.eval(ATTEMPT, { keys: [key(username, address)], arguments: args })));
    },
    async recordSuccess(username, address) {
      await link.run(link.commands.del(key(username, address)));
    },
  };
}

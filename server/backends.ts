import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ChatMessage, ChatMessageSchema } from "../gen/userservice/user_service_pb.js";
import type { LoginThrottle } from "./auth/login-throttle.js";
import { createRedisLoginThrottle } from "./auth/redis-login-throttle.js";
import type { LiveHub } from "./hub/live-hub.js";
import type { RateLimitStore } from "./limits/rate-limit-interceptor.js";
import { createRedisRateLimiter } from "./limits/redis-rate-limiter.js";
import { createNoteSequencer } from "./hub/note-sequencer.js";
import { createRedisHub } from "./hub/redis-hub.js";
import type { Logger } from "./observability/logger.js";
import { openRedisLink, type RedisLink } from "./redis/redis-link.js";
import type { NoteEvent } from "./route-guide/note-board.js";
import { type DatabaseOptions, openStorage } from "./storage/open-storage.js";
import type { Storage } from "./storage/storage.js";

export interface BackendOptions {
  /** DATABASE_URL: sqlite:PATH (embedded default) or postgres://... */
  databaseUrl: string;
  database?: DatabaseOptions;
  /** REDIS_URL: live fan-out and the login throttle shared by every replica. Default: none (in-process). */
  redisUrl?: string;
  /** REDIS_KEY_PREFIX. Default: "grpc-app:". */
  redisKeyPrefix?: string;
  logger: Logger;
}

/** What createApp takes for several replicas; undefined hubs and throttle mean in-process defaults. */
export interface Backends {
  storage: Storage;
  noteHub?: LiveHub<NoteEvent>;
  chatHub?: LiveHub<ChatMessage>;
  loginThrottle?: LoginThrottle;
  rateLimitStore?: RateLimitStore;
  /** Redis, when configured: its availability changes drive health checks at once. */
  redis?: RedisLink;
  /** Closes what the app does not: Redis (the app closes storage). */
  close(): Promise<void>;
}

/**
 * Opens the database and, with REDIS_URL, the Redis link and what runs on it: the note hub (a
 * sequencer that delivers in id order from the database, rung by Redis), the chat hub, the
 * shared login throttle and the shared rate-limit buckets. Without REDIS_URL the app keeps its in-process hubs: one replica.
 */
export async function openBackends(options: BackendOptions): Promise<Backends> {
  const storage = await openStorage(options.databaseUrl, options.database);
  if (options.redisUrl === undefined) return { storage, close: async () => undefined };
  const { logger } = options;
  let redis: RedisLink;
  try {
    redis = await openRedisLink({
      url: options.redisUrl,
      keyPrefix: options.redisKeyPrefix,
      onError: (error) => logger.warn("Redis connection error", { error: error.message }),
    });
  } catch (error) {
    await storage.close();
    throw error;
  }
  const onError = (error: unknown) => logger.warn("live hub error", { error: String(error) });
  const doorbell = await createRedisHub<bigint>({ link: redis, channel: "notes", codec: { encode: String, decode: BigInt }, onError });
  const noteHub = await createNoteSequencer({ store: storage.notes, doorbell, onError });
  const chatHub = await createRedisHub<ChatMessage>({
    link: redis,
    channel: "chat",
    codec: {
      encode: (message) => Buffer.from(toBinary(ChatMessageSchema, message)).toString("base64"),
      decode: (text) => fromBinary(ChatMessageSchema, Buffer.from(text, "base64")),
    },
    onError,
  });
  return {
    storage,
    noteHub,
    chatHub,
    loginThrottle: createRedisLoginThrottle(redis),
    rateLimitStore: (kind, rate) => createRedisRateLimiter(redis, kind, rate),
    redis,
    async close() {
      noteHub.close();
      await redis.close();
    },
  };
}

import { Code, ConnectError } from "@connectrpc/connect";
import { createClient, type RedisClientType } from "redis";
import { redactPassword } from "../lib/redact-url.js";
import { withTimeout } from "../lib/with-timeout.js";

/** What callers see when Redis cannot be reached. */
export const REDIS_UNAVAILABLE = "live updates unavailable (Redis unreachable); reconnect shortly";

export interface RedisLinkOptions {
  /** redis://[user:password@]host:port[/db] (REDIS_URL). */
  url: string;
  /** Prefix of every key and channel, so that several apps or test runs share one Redis (REDIS_KEY_PREFIX). Default: "grpc-app:". */
  keyPrefix?: string;
  /** Wait between attempts to reconnect the subscription. Default: 250 ms, doubling to 2,000 ms. */
  retryMs?: number;
  /** Commands (publish, throttle) give up after this long. Default: 2,000 ms. */
  commandTimeoutMs?: number;
  /** Connection errors, for the log. Default: ignored. */
  onError?: (error: Error) => void;
}

/**
 * The app's two connections to Redis: one for commands (publish, throttle scripts) that node-redis
 * reconnects by itself and that fails at once while disconnected instead of queueing, and one for
 * subscriptions that this link re-creates after a loss. It is "up" only while the subscriptions
 * are acknowledged by Redis, so nothing published after that point can be missed.
 */
export interface RedisLink {
  readonly commands: RedisClientType;
  /** `name` under the key prefix. */
  key(name: string): string;
  /** Receives every message on `channel` (under the prefix) from now on, across reconnections. */
  listen(channel: string, onMessage: (message: string) => void): Promise<void>;
  /** Whether the subscriptions are live. */
  readonly up: boolean;
  /** Called with false when the subscriptions are lost, with true when they are live again. */
  onAvailability(listener: (up: boolean) => void): () => void;
  /** Resolves if both connections work; rejects UNAVAILABLE otherwise. */
  check(): Promise<void>;
  /** A command on `commands`, given up after commandTimeoutMs; any failure becomes UNAVAILABLE. */
  run<T>(command: Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openRedisLink(options: RedisLinkOptions): Promise<RedisLink> {
  const prefix = options.keyPrefix ?? "grpc-app:";
  const baseRetryMs = options.retryMs ?? 250;
  const timeoutMs = options.commandTimeoutMs ?? 2_000;
  const report = options.onError ?? (() => undefined);
  const channels = new Map<string, (message: string) => void>();
  const availability = new Set<(up: boolean) => void>();
  let subscriber: RedisClientType | undefined;
  let up = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const commands = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: timeoutMs, reconnectStrategy: (attempt) => Math.min(baseRetryMs * 2 ** attempt, 2_000) },
  }) as RedisClientType;
  commands.on("error", report);
  // node-redis would retry a first connection for ever: a replica that cannot reach Redis at
  // start says so and stops, for its orchestrator to restart it.
  try {
    await withTimeout(commands.connect(), timeoutMs, `Redis at ${redactPassword(options.url)} did not answer within ${timeoutMs} ms`);
  } catch (error) {
    commands.destroy();
    throw unavailable(error);
  }

  function setUp(next: boolean): void {
    if (up === next) return;
    up = next;
    for (const listener of [...availability]) listener(next);
  }

  const run = <T>(command: Promise<T>): Promise<T> =>
    withTimeout(command, timeoutMs).catch((error: unknown) => {
      throw unavailable(error);
    });

  async function subscribe(attempt = 0): Promise<void> {
    const client = createClient({ url: options.url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } }) as RedisClientType;
    let lost = false;
    const onLoss = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (error) report(error);
      if (subscriber === client) subscriber = undefined;
      client.destroy();
      setUp(false);
      if (!closed) retryTimer = setTimeout(() => void subscribe(attempt + 1), Math.min(baseRetryMs * 2 ** attempt, 2_000));
    };
    client.on("error", onLoss);
    client.on("end", () => onLoss());
    try {
      await client.connect();
      for (const [channel, onMessage] of channels) await client.subscribe(channel, onMessage);
    } catch (error) {
      // The first attempt is opening the link: its caller gets the error, and no retry loop is left behind.
      if (attempt === 0) closed = true;
      onLoss(error as Error);
      if (attempt === 0) {
        commands.destroy();
        throw unavailable(error);
      }
      return;
    }
    if (lost || closed) return;
    subscriber = client;
    attempt = 0;
    setUp(true);
  }

  await subscribe();

  return {
    commands,
    key: (name) => prefix + name,
    async listen(channel, onMessage) {
      const name = prefix + channel;
      channels.set(name, onMessage);
      if (subscriber) await subscriber.subscribe(name, onMessage).catch((error: unknown) => {
        throw unavailable(error);
      });
    },
    get up() {
      return up;
    },
    onAvailability(listener) {
      availability.add(listener);
      return () => void availability.delete(listener);
    },
    async check() {
      if (!up) throw new ConnectError(REDIS_UNAVAILABLE, Code.Unavailable);
      await run(commands.ping());
    },
    run,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      subscriber?.destroy();
      subscriber = undefined;
      setUp(false);
      commands.destroy();
    },
  };
}

/** UNAVAILABLE for a failed Redis command; the driver's error stays in `cause`. */
export function unavailable(cause: unknown): ConnectError {
  return cause instanceof ConnectError ? cause : new ConnectError(REDIS_UNAVAILABLE, Code.Unavailable, undefined, undefined, cause);
}

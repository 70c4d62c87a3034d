import { type LogLevel, parseLogLevel } from "./observability/logger.js";
import { DEFAULT_MAX_MESSAGE_BYTES, parseSizesByMethod } from "./limits/message-size.js";
import { DEFAULT_RATE_LIMITS, type RateLimits } from "./limits/rate-limit-interceptor.js";
import { parseRate, type Rate } from "./limits/rate-limiter.js";
import { DEFAULT_DATABASE_URL } from "./storage/open-storage.js";

/** Everything the server reads from its environment; each variable is documented in the README. */
export interface ServerConfig {
  /** HOST. Default: 127.0.0.1 (set 0.0.0.0 to accept connections from other machines). */
  host: string;
  /** PORT. Default: 8080. */
  port: number;
  /** DATABASE_URL: sqlite:PATH or postgres://user:password@host:port/db. Default: sqlite:data/app.db. */
  databaseUrl: string;
  /** DATABASE_POOL_SIZE (PostgreSQL connections per replica). Default: 10. */
  databasePoolSize: number;
  /** DATABASE_STATEMENT_TIMEOUT_MS. Default: 5000. */
  databaseStatementTimeoutMs: number;
  /** DATABASE_CONNECT_TIMEOUT_MS. Default: 5000. */
  databaseConnectTimeoutMs: number;
  /** REDIS_URL: redis://host:port[/db] for fan-out and the login throttle across replicas. Default: none. */
  redisUrl: string | undefined;
  /** REDIS_KEY_PREFIX. Default: grpc-app: */
  redisKeyPrefix: string;
  /** HEALTH_CHECK_INTERVAL_MS: how often the database and Redis are checked for grpc.health.v1. Default: 2000. */
  healthCheckIntervalMs: number;
  /** SHUTDOWN_DELAY_MS: on SIGTERM, time spent NOT_SERVING before streams end. Default: 5000. */
  shutdownDelayMs: number;
  /** CORS_ORIGINS, comma-separated. Default: none. */
  corsOrigins: string[];
  /** AUTH_SECRET: HMAC key for login tokens, at least 32 characters. Default: random per start. */
  authSecret: string | undefined;
  /** AUTH_TOKEN_TTL_SECONDS. Default: 3600. */
  authTokenTtlMs: number;
  /** AUTH_TOKENS, comma-separated static service tokens. Default: none. */
  serviceTokens: string[];
  /** SHUTDOWN_GRACE_MS: how long in-flight calls may take to finish on SIGTERM. Default: 10000. */
  shutdownGraceMs: number;
  /** MAX_MESSAGE_BYTES: largest request message. Default: 64 KiB. */
  maxMessageBytes: number;
  /** MAX_MESSAGE_BYTES_BY_METHOD: "pkg.Service/Method=bytes,...". Default: none. */
  maxMessageBytesByMethod: Record<string, number>;
  /** RATE_LIMIT_NOTES, RATE_LIMIT_CHAT, RATE_LIMIT_SIGNUP, RATE_LIMIT_LOGIN: "10/s", "30/min", or "off". */
  rateLimits: RateLimits;
  /** MAX_STREAMS_PER_CONNECTION. Default: 100. */
  maxStreamsPerConnection: number;
  /** HTTP2_MAX_CONCURRENT_STREAMS. Default: 250. */
  maxConcurrentStreams: number;
  /** HEADERS_TIMEOUT_MS. Default: 10000. */
  headersTimeoutMs: number;
  /** REQUEST_TIMEOUT_MS. Default: 30000. */
  requestTimeoutMs: number;
  /** IDLE_TIMEOUT_MS (HTTP/2 connections with no stream). Default: 60000. */
  idleTimeoutMs: number;
  /** NOTES_PER_LOCATION. Default: 1000. */
  notesPerLocation: number;
  /** WEB_ROOT: the built web app to serve on the same port. Default: web/dist. */
  webRoot: string | undefined;
  /** GRPC_FAST_PATH: "off" serves unary gRPC through connect-node's general path. Default: on. */
  grpcFastPath: boolean;
  /** WEB_LEAN_PATH: "off" serves gRPC-Web and Connect calls through connect-node's general path. Default: on. */
  webLeanPath: boolean;
  /** LOG_LEVEL: debug, info, warn, error or silent. Default: info. */
  logLevel: LogLevel;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${env.PORT}"`);
  }
  const secret = env.AUTH_SECRET || undefined;
  if (secret !== undefined && secret.length < 32) throw new Error("AUTH_SECRET must be at least 32 characters");
  const ttlSeconds = Number(env.AUTH_TOKEN_TTL_SECONDS ?? 3600);
  if (!(ttlSeconds > 0)) throw new Error(`AUTH_TOKEN_TTL_SECONDS must be a positive number, got "${env.AUTH_TOKEN_TTL_SECONDS}"`);
  const shutdownGraceMs = Number(env.SHUTDOWN_GRACE_MS ?? 10_000);
  if (!(shutdownGraceMs >= 0)) throw new Error(`SHUTDOWN_GRACE_MS must be a number of milliseconds, got "${env.SHUTDOWN_GRACE_MS}"`);
  const maxMessageBytes = positiveInteger(env, "MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES);
  const rate = (name: string, fallback: Rate) => (env[name] === undefined || env[name] === "" ? fallback : parseRate(env[name] as string, name));
  return {
    maxMessageBytesByMethod: parseSizesByMethod(env.MAX_MESSAGE_BYTES_BY_METHOD),
    rateLimits: {
      notes: rate("RATE_LIMIT_NOTES", DEFAULT_RATE_LIMITS.notes),
      chat: rate("RATE_LIMIT_CHAT", DEFAULT_RATE_LIMITS.chat),
      signUp: rate("RATE_LIMIT_SIGNUP", DEFAULT_RATE_LIMITS.signUp),
      login: rate("RATE_LIMIT_LOGIN", DEFAULT_RATE_LIMITS.login),
    },
    maxStreamsPerConnection: positiveInteger(env, "MAX_STREAMS_PER_CONNECTION", 100),
    maxConcurrentStreams: positiveInteger(env, "HTTP2_MAX_CONCURRENT_STREAMS", 250),
    headersTimeoutMs: positiveInteger(env, "HEADERS_TIMEOUT_MS", 10_000),
    requestTimeoutMs: positiveInteger(env, "REQUEST_TIMEOUT_MS", 30_000),
    idleTimeoutMs: positiveInteger(env, "IDLE_TIMEOUT_MS", 60_000),
    notesPerLocation: positiveInteger(env, "NOTES_PER_LOCATION", 1_000),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    webRoot: env.WEB_ROOT || undefined,
    grpcFastPath: env.GRPC_FAST_PATH !== "off",
    webLeanPath: env.WEB_LEAN_PATH !== "off",
    maxMessageBytes,
    shutdownGraceMs,
    authSecret: secret,
    authTokenTtlMs: ttlSeconds * 1000,
    serviceTokens: list(env.AUTH_TOKENS),
    host: env.HOST || "127.0.0.1",
    port,
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    databasePoolSize: positiveInteger(env, "DATABASE_POOL_SIZE", 10),
    databaseStatementTimeoutMs: positiveInteger(env, "DATABASE_STATEMENT_TIMEOUT_MS", 5_000),
    databaseConnectTimeoutMs: positiveInteger(env, "DATABASE_CONNECT_TIMEOUT_MS", 5_000),
    redisUrl: env.REDIS_URL || undefined,
    redisKeyPrefix: env.REDIS_KEY_PREFIX || "grpc-app:",
    healthCheckIntervalMs: positiveInteger(env, "HEALTH_CHECK_INTERVAL_MS", 2_000),
    shutdownDelayMs: nonNegativeInteger(env, "SHUTDOWN_DELAY_MS", 5_000),
    corsOrigins: list(env.CORS_ORIGINS),
  };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return integerAtLeast(env, name, fallback, 1, "a positive integer");
}

function nonNegativeInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return integerAtLeast(env, name, fallback, 0, "an integer of 0 or more");
}

function integerAtLeast(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, what: string): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be ${what}, got "${text}"`);
  return value;
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

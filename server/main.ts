import { setTimeout as sleep } from "node:timers/promises";
import { createApp } from "./app.js";
import { openBackends } from "./backends.js";
import { readConfig } from "./config.js";
import { listenOnePort } from "./http/one-port-server.js";
import { createLogger } from "./observability/logger.js";
import { startTracing } from "./observability/tracing.js";
import { redactPassword } from "./lib/redact-url.js";

/** Wires the app to its port and to process signals; all behaviour lives in createApp. */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel });
  // On only when the standard OTEL_* variables ask for it (see README "Tracing").
  const tracing = startTracing();
  const backends = await openBackends({
    databaseUrl: config.databaseUrl,
    database: {
      poolSize: config.databasePoolSize,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
      connectTimeoutMs: config.databaseConnectTimeoutMs,
      onIdleError: (error) => logger.warn("database connection lost", { error: error.message }),
    },
    redisUrl: config.redisUrl,
    redisKeyPrefix: config.redisKeyPrefix,
    logger,
  });
  const app = createApp({
    logger,
    tracer: tracing?.tracer,
    storage: backends.storage,
    noteHub: backends.noteHub,
    chatHub: backends.chatHub,
    loginThrottle: backends.loginThrottle,
    rateLimitStore: backends.rateLimitStore,
    healthCheckIntervalMs: config.healthCheckIntervalMs,
    corsOrigins: config.corsOrigins,
    maxMessageBytes: config.maxMessageBytes,
    maxMessageBytesByMethod: config.maxMessageBytesByMethod,
    rateLimits: config.rateLimits,
    maxStreamsPerConnection: config.maxStreamsPerConnection,
    requestBodyTimeoutMs: config.requestTimeoutMs,
    notesPerLocation: config.notesPerLocation,
    webRoot: config.webRoot,
    grpcFastPath: config.grpcFastPath,
    webLeanPath: config.webLeanPath,
    auth: { secret: config.authSecret, ttlMs: config.authTokenTtlMs, serviceTokens: config.serviceTokens },
  });
  // Redis dropping its subscription turns health NOT_SERVING at once, not at the next check.
  backends.redis?.onAvailability(() => void app.dependencies.checkNow());
  if (config.authSecret === undefined) {
    logger.warn("AUTH_SECRET is not set: login tokens are signed with a random key and end when the server restarts");
  }
  const server = await listenOnePort({
    handler: app.handler,
    claimStream: app.claimStream,
    host: config.host,
    port: config.port,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    maxConcurrentStreams: config.maxConcurrentStreams,
  });
  logger.info(`listening on ${server.url} (gRPC over h2c; gRPC-Web and Connect over HTTP/1.1 and h2c)`, {
    url: server.url,
    database: redactPassword(config.databaseUrl),
    redis: config.redisUrl === undefined ? "none (in-process hubs)" : redactPassword(config.redisUrl),
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // SIGTERM comes from an orchestrator: report NOT_SERVING and keep serving until the load
    // balancer's health checks have taken this replica out. SIGINT (Ctrl-C) stops at once.
    const delayMs = signal === "SIGTERM" ? config.shutdownDelayMs : 0;
    logger.info(`${signal} received, shutting down`, { delayMs, graceMs: config.shutdownGraceMs });
    app.stopServing();
    await sleep(delayMs);
    // Streams end UNAVAILABLE, then GOAWAY and HTTP/1.1 closes while unary calls drain.
    app.beginShutdown();
    await server.close(config.shutdownGraceMs);
    // Only now, with no request in flight, are the database and Redis closed.
    await app.close();
    await backends.close();
    await tracing?.shutdown();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  // The driver's own words (connection refused, authentication failed, ...) are in `cause`.
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  console.error(`cannot start: ${error instanceof Error ? error.message : String(error)}${cause}`);
  process.exit(1);
});

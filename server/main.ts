import { createApp } from "./app.js";
import { readConfig } from "./config.js";
import { listenOnePort } from "./http/one-port-server.js";
import { createLogger } from "./observability/logger.js";

/** Wires the app to its port and to process signals; all behaviour lives in createApp. */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel });
  const app = createApp({
    logger,
    databaseUrl: config.databaseUrl,
    corsOrigins: config.corsOrigins,
    maxMessageBytes: config.maxMessageBytes,
    maxMessageBytesByMethod: config.maxMessageBytesByMethod,
    rateLimits: config.rateLimits,
    maxStreamsPerConnection: config.maxStreamsPerConnection,
    requestBodyTimeoutMs: config.requestTimeoutMs,
    notesPerLocation: config.notesPerLocation,
    webRoot: config.webRoot,
    grpcFastPath: config.grpcFastPath,
    auth: { secret: config.authSecret, ttlMs: config.authTokenTtlMs, serviceTokens: config.serviceTokens },
  });
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
    database: config.databaseUrl.replace(/\/\/[^@/]*@/, "//***@"),
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, shutting down`, { graceMs: config.shutdownGraceMs });
    app.beginShutdown();
    await server.close(config.shutdownGraceMs);
    // Only now, with no request in flight, is the database closed.
    await app.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

import { type Client, createClient, createRouterTransport, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { type App, type AppOptions, createApp } from "../app.js";
import { listenOnePort, type OnePortServer } from "../http/one-port-server.js";
import { createLogger } from "../observability/logger.js";

/** A static service token every test app accepts (AUTH_TOKENS). */
export const TEST_TOKEN = "test-service-token";

/** Sends `authorization: Bearer <token>` with every call; no header for undefined. */
export function bearer(token: string | undefined): Interceptor {
  return (next) => (request) => {
    if (token !== undefined) request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}

/** Per-client rate limits switched off: tests that are about them set their own. */
export const NO_RATE_LIMITS = {};

/** An app on a throwaway in-memory database that accepts TEST_TOKEN, without rate limits unless given. */
export function createTestApp(options: AppOptions = {}): App {
  return createApp({
    databaseUrl: "sqlite::memory:",
    logger: createLogger({ level: "silent" }),
    rateLimits: NO_RATE_LIMITS,
    ...options,
    auth: { serviceTokens: [TEST_TOKEN], ...options.auth },
  });
}

/** Handlers and interceptors, no network: for the in-memory layer of tests. */
export function inMemoryTransport(app: App, token: string | undefined = TEST_TOKEN): Transport {
  return createRouterTransport(app.routes, { router: app.routerOptions, transport: { interceptors: [bearer(token)] } });
}

export interface TestServer {
  app: App;
  server: OnePortServer;
  url: string;
  close(): Promise<void>;
}

/** The app on a real port (0: a free one), as `npm start` serves it. */
export async function startTestServer(options: AppOptions = {}): Promise<TestServer> {
  const app = createTestApp(options);
  const server = await listenOnePort({ handler: app.handler, claimStream: app.claimStream, port: 0 });
  return {
    app,
    server,
    url: server.url,
    async close() {
      app.beginShutdown();
      await server.close(2_000);
      await app.close();
    },
  };
}

type MakeTransport = (baseUrl: string, token?: string | null) => Transport;
/** null: no authorization header; undefined: TEST_TOKEN. */
const auth = (token: string | null | undefined) => ({ interceptors: [bearer(token === null ? undefined : (token ?? TEST_TOKEN))] });

/** Every protocol × HTTP version a connect-node client can speak to the one port. */
export const PROTOCOL_MATRIX: readonly { name: string; bidi: boolean; make: MakeTransport }[] = [
  { name: "grpc h2c", bidi: true, make: (baseUrl, token) => createGrpcTransport({ baseUrl, ...auth(token) }) },
  { name: "grpc-web http/1.1", bidi: false, make: (baseUrl, token) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", ...auth(token) }) },
  { name: "grpc-web h2c", bidi: true, make: (baseUrl, token) => createGrpcWebTransport({ baseUrl, httpVersion: "2", ...auth(token) }) },
  { name: "connect json http/1.1", bidi: false, make: (baseUrl, token) => createConnectTransport({ baseUrl, httpVersion: "1.1", ...auth(token) }) },
  { name: "connect binary http/1.1", bidi: false, make: (baseUrl, token) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true, ...auth(token) }) },
  { name: "connect json h2c", bidi: true, make: (baseUrl, token) => createConnectTransport({ baseUrl, httpVersion: "2", ...auth(token) }) },
  { name: "connect binary h2c", bidi: true, make: (baseUrl, token) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, ...auth(token) }) },
];

export function clientFor<S extends DescService>(service: S, transport: Transport): Client<S> {
  return createClient(service, transport);
}

/** Resolves when `condition` holds, polling; fails the test after `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Collects a server stream into an array. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

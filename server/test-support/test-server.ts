import { type Client, createClient, createRouterTransport, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { type App, type AppOptions, createApp } from "../app.js";
import { listenOnePort, type OnePortServer } from "../http/one-port-server.js";

/** An app on a throwaway in-memory database, reporting faults to the test's output. */
export function createTestApp(options: AppOptions = {}): App {
  return createApp({ databaseUrl: "sqlite::memory:", ...options });
}

/** Handlers only, no network: for the in-memory layer of tests. */
export function inMemoryTransport(app: App): Transport {
  return createRouterTransport(app.routes);
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
  const server = await listenOnePort({ handler: app.handler, port: 0 });
  return {
    app,
    server,
    url: server.url,
    async close() {
      const closed = server.close(2_000);
      await app.close();
      await closed;
    },
  };
}

/** Every protocol × HTTP version a connect-node client can speak to the one port. */
export const PROTOCOL_MATRIX = [
  { name: "grpc h2c", bidi: true, make: (baseUrl: string) => createGrpcTransport({ baseUrl }) },
  { name: "grpc-web http/1.1", bidi: false, make: (baseUrl: string) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }) },
  { name: "grpc-web h2c", bidi: true, make: (baseUrl: string) => createGrpcWebTransport({ baseUrl, httpVersion: "2" }) },
  { name: "connect json http/1.1", bidi: false, make: (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "1.1" }) },
  { name: "connect binary http/1.1", bidi: false, make: (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }) },
  { name: "connect json h2c", bidi: true, make: (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "2" }) },
  { name: "connect binary h2c", bidi: true, make: (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }) },
] as const;

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

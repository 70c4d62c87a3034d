import { create } from "@bufbuild/protobuf";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PointSchema, RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import type { App } from "../app.js";
import { bearer, createTestApp, TEST_TOKEN } from "../test-support/test-server.js";
import { createGrpcFastPath } from "./grpc-fast-path.js";
import { collectLeanRoutes } from "./lean-routes.js";
import { listenOnePort, type OnePortServer } from "./one-port-server.js";
import { createWebLeanPath, withWebLeanPath } from "./web-lean-path.js";

// Both lean paths given one route table, as the app gives them (app.ts): each method is wrapped
// in the interceptors once, and calls on either path run through that one chain.
let app: App;
let server: OnePortServer;
let wraps = 0;
let wrapsWhenCollected = 0;
const callsThroughTable: string[] = [];

beforeAll(async () => {
  app = createTestApp({ grpcFastPath: false, webLeanPath: false });
  const counting: Interceptor = (next) => {
    wraps++;
    return (request) => (callsThroughTable.push(request.header.get("content-type") ?? ""), next(request));
  };
  const leanRoutes = collectLeanRoutes(app.routes, [counting, ...(app.routerOptions.interceptors ?? [])], 1024);
  wrapsWhenCollected = wraps;
  const grpc = createGrpcFastPath({ leanRoutes, shutdownSignal: app.routerOptions.shutdownSignal });
  const web = createWebLeanPath({ leanRoutes, shutdownSignal: app.routerOptions.shutdownSignal });
  server = await listenOnePort({
    handler: withWebLeanPath(app.handler, web),
    claimStream: (stream, headers, rawHeaders) => grpc(stream, headers, rawHeaders) || web.claimStream(stream, headers, rawHeaders),
    port: 0,
  });
});
afterAll(async () => {
  await server.close(1_000);
  await app.close();
});

describe("one lean route table for both lean paths", () => {
  it("serves gRPC, gRPC-Web and Connect calls through the same interceptor chain, wrapped once per method", async () => {
    expect(wrapsWhenCollected).toBeGreaterThan(0);
    const point = create(PointSchema, { latitude: 409146138, longitude: -746188906 });
    for (const transport of [
      createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(TEST_TOKEN)] }),
      createGrpcWebTransport({ baseUrl: server.url, httpVersion: "2", interceptors: [bearer(TEST_TOKEN)] }),
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(TEST_TOKEN)] }),
    ]) {
      expect((await createClient(RouteGuide, transport).getFeature(point)).name).toContain("Berkshire Valley");
    }
    expect(callsThroughTable).toEqual(["application/grpc+proto", "application/grpc-web+proto", "application/proto"]);
    expect(wraps).toBe(wrapsWhenCollected);
  });
});

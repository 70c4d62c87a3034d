import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PointSchema } from "../../gen/routeguide/route_guide_pb.js";
import { envelope } from "../lib/envelope.js";
import { startTestServer, TEST_TOKEN, type TestServer } from "../test-support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const point = envelope(Buffer.from(toBinary(PointSchema, create(PointSchema, { latitude: 409146138, longitude: -746188906 }))));

/** The response headers of one GetFeature call on `session`. */
function responseHeaders(session: http2.ClientHttp2Session, contentType: string, body: Buffer): Promise<http2.IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": "/routeguide.RouteGuide/GetFeature",
      "content-type": contentType,
      te: "trailers",
      authorization: `Bearer ${TEST_TOKEN}`,
    });
    let headers: http2.IncomingHttpHeaders | undefined;
    stream.on("response", (received) => (headers = received));
    stream.on("data", () => {});
    stream.on("error", reject);
    stream.on("close", () => (headers === undefined ? reject(new Error("no response headers")) : resolve(headers)));
    stream.end(body);
  });
}

describe("the echoed request id over HTTP/2", () => {
  it.each([
    ["gRPC (fast path)", "application/grpc", point],
    ["gRPC-Web (web lean path)", "application/grpc-web+proto", point],
    ["Connect unary (web lean path)", "application/proto", point.subarray(5)],
  ])("is sent as a never-indexed HPACK literal, new on every call: %s", async (_name, contentType, body) => {
    const session = http2.connect(server.url);
    try {
      const ids = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const headers = await responseHeaders(session, contentType, body);
        expect(headers[":status"]).toBe(200);
        expect((headers as Record<symbol, unknown>)[http2.sensitiveHeaders]).toContain("x-request-id");
        ids.add(headers["x-request-id"] as string);
      }
      expect(ids.size).toBe(3);
    } finally {
      session.close();
    }
  });
});

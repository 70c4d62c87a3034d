import { create, toBinary } from "@bufbuild/protobuf";
import { CreateUserRequestSchema } from "../../gen/userservice/user_service_pb.js";
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_TOKEN, type TestServer } from "../test-support/test-server.js";

interface Frames {
  headers: http2.IncomingHttpHeaders;
  /** The response HEADERS frame ended the stream: a trailers-only response. */
  trailersOnly: boolean;
  trailers?: http2.IncomingHttpHeaders;
  bodyBytes: number;
}

/** One gRPC call over a raw HTTP/2 connection, recording which frames carried what. */
async function call(url: string, path: string, message: Uint8Array): Promise<Frames> {
  const session = http2.connect(url);
  try {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${TEST_TOKEN}` });
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    stream.end(frame);
    const result: Partial<Frames> = { bodyBytes: 0 };
    stream.on("response", (headers, flags) => {
      result.headers = headers;
      result.trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    });
    stream.on("trailers", (trailers) => (result.trailers = trailers));
    stream.on("data", (chunk: Buffer) => (result.bodyBytes! += chunk.length));
    await new Promise((resolve) => stream.once("close", resolve));
    return result as Frames;
  } finally {
    session.close();
  }
}

// GetUser with an empty id: INVALID_ARGUMENT, no header metadata.
const emptyGetUser = new Uint8Array();
// ListUsers after a page token that is no user's id: the handler fails once the stream has begun.
const unknownPageToken = new Uint8Array([18, 6, ...new TextEncoder().encode("nobody")]);
// ListFeatures over a rectangle with no feature: an OK stream with no message.
const emptyRectangle = new Uint8Array([10, 4, 8, 1, 16, 1, 18, 4, 8, 2, 16, 2]);

describe.each([
  { name: "the lean gRPC path", grpcFastPath: true },
  { name: "connect-node", grpcFastPath: false },
])("gRPC status frames on $name", ({ grpcFastPath }) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ grpcFastPath });
  });
  afterAll(() => server.close());

  it("answers an error with no header metadata trailers-only, grpc-status in the one HEADERS frame (what Envoy reads)", async () => {
    const frames = await call(server.url, "/userservice.UserService/GetUser", emptyGetUser);
    expect(frames.trailersOnly).toBe(true);
    expect(frames.headers).toMatchObject({ ":status": 200, "grpc-status": "3", "grpc-message": "id: value is required" });
    expect(frames.trailers).toBeUndefined();
    expect(frames.bodyBytes).toBe(0);
  });

  it("sends header metadata (x-request-id) as headers, then the status in trailers: a failed stream and an empty OK one", async () => {
    for (const [path, message, status] of [
      ["/userservice.UserService/ListUsers", unknownPageToken, "3"],
      ["/routeguide.RouteGuide/ListFeatures", emptyRectangle, "0"],
    ] as const) {
      const frames = await call(server.url, path, message);
      expect(frames.headers["x-request-id"]).toMatch(/./);
      expect(frames.trailersOnly).toBe(false);
      expect(frames.headers["grpc-status"]).toBeUndefined();
      expect(frames.trailers?.["grpc-status"]).toBe(status);
    }
  });

  it("sends an OK unary response as headers, message, trailers", async () => {
    const frames = await call(server.url, "/routeguide.RouteGuide/GetFeature", new Uint8Array([8, 1, 16, 1]));
    expect(frames.trailersOnly).toBe(false);
    expect(frames.bodyBytes).toBeGreaterThan(0);
    expect(frames.trailers?.["grpc-status"]).toBe("0");
  });
});

describe("gRPC-Web status on the one port", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  /** One gRPC-Web call over HTTP/1.1 (fetch, as browsers send it). */
  async function grpcWeb(path: string, message: Uint8Array, extraHeaders: Record<string, string> = {}) {
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", authorization: `Bearer ${TEST_TOKEN}`, ...extraHeaders },
      body: frame,
    });
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
  }

  it("answers an error with no header metadata trailers-only: the status in the headers, an empty body", async () => {
    const response = await grpcWeb("/userservice.UserService/GetUser", emptyGetUser);
    expect(response.status).toBe(200);
    expect(response.headers.get("grpc-status")).toBe("3");
    expect(decodeURIComponent(response.headers.get("grpc-message") ?? "")).toBe("id: value is required");
    expect(response.body.length).toBe(0);
  });

  it.each(["gzip", "br"])("moves a large, compressed (%s) trailer frame into the headers too: an error with details", async (encoding) => {
    // CreateUser breaking four rules: with both details the trailer is over connect's 1 KiB
    // compression threshold, so it is compressed like a message when the client accepts it.
    const invalid = toBinary(CreateUserRequestSchema, create(CreateUserRequestSchema, { username: "1x", email: "nope", password: "short" }));
    const response = await grpcWeb("/userservice.UserService/CreateUser", invalid, { "grpc-accept-encoding": encoding });
    expect(response.headers.get("grpc-encoding")).toBe(encoding);
    expect(response.headers.get("grpc-status")).toBe("3");
    expect(decodeURIComponent(response.headers.get("grpc-message") ?? "")).toContain("email: must be a valid email address");
    expect(response.headers.get("grpc-status-details-bin")?.length).toBeGreaterThan(1000);
    expect(response.body.length).toBe(0);
  });

  it("keeps the trailer frame in the body after header metadata, and after a message", async () => {
    const failedStream = await grpcWeb("/userservice.UserService/ListUsers", unknownPageToken);
    expect(failedStream.headers.get("x-request-id")).toMatch(/./);
    expect(failedStream.headers.get("grpc-status")).toBeNull();
    expect(failedStream.body[0]).toBe(0x80);
    expect(failedStream.body.toString("latin1")).toContain("grpc-status: 3");
    const ok = await grpcWeb("/routeguide.RouteGuide/GetFeature", new Uint8Array([8, 1, 16, 1]));
    expect(ok.headers.get("grpc-status")).toBeNull();
    expect(ok.body[0]).toBe(0);
    expect(ok.body.toString("latin1")).toContain("grpc-status: 0");
  });
});


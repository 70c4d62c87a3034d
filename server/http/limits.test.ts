import * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../../gen/routeguide/route_notes_pb.js";
import { UserService } from "../../gen/userservice/user_service_pb.js";
import { bearer, clientFor, collect, eventually, PROTOCOL_MATRIX, startTestServer, TEST_TOKEN, type TestServer } from "../test-support/test-server.js";

let server: TestServer;
beforeAll(async () => (server = await startTestServer({ maxMessageBytes: 64 * 1024 })));
afterAll(() => server.close());

const garbage = new Uint8Array([0xff, 0xff, 0xff]);
const frame = (payload: Uint8Array, flag = 0) => {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
};

/** A raw gRPC call over h2c, returning the status trailers. */
function rawGrpc(path: string, body: Uint8Array): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(server.url);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    let status: Record<string, string> = {};
    stream.on("response", (headers) => (status = { ...status, ...(headers as Record<string, string>) }));
    stream.on("trailers", (trailers) => (status = { ...status, ...(trailers as Record<string, string>) }));
    stream.on("close", () => (session.close(), resolve(status)));
    stream.resume();
    stream.end(body);
  });
}

describe("limits and bad input", () => {
  it.each(PROTOCOL_MATRIX.map((p) => [p.name, p] as const))("%s: a message over MAX_MESSAGE_BYTES gets RESOURCE_EXHAUSTED", async (_name, protocol) => {
    const users = clientFor(UserService, protocol.make(server.url));
    const error = await users.createUser({ username: "x".repeat(70_000), email: "big@example.com", password: "long enough" }).catch(ConnectError.from);
    expect(error).toMatchObject({ code: Code.ResourceExhausted });
  });

  it("malformed protobuf gets INVALID_ARGUMENT on gRPC, gRPC-Web and Connect", async () => {
    const grpc = await rawGrpc("/routeguide.RouteGuide/GetFeature", frame(garbage));
    expect(grpc["grpc-status"]).toBe("3");
    expect(decodeURIComponent(grpc["grpc-message"] ?? "")).toMatch(/^parse binary/);

    const grpcWeb = await fetch(`${server.url}/routeguide.RouteGuide/GetFeature`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: frame(garbage),
    });
    expect(Buffer.from(await grpcWeb.arrayBuffer()).toString("latin1")).toMatch(/grpc-status: ?3\r\n/);

    const connect = await fetch(`${server.url}/routeguide.RouteGuide/GetFeature`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: garbage,
    });
    expect(connect.status).toBe(400);
    expect(await connect.json()).toMatchObject({ code: "invalid_argument" });
  });

  it("malformed or mistyped JSON gets INVALID_ARGUMENT naming the problem, with no stack trace", async () => {
    // Unknown fields are ignored on purpose (newer clients may send fields this server predates).
    for (const body of ['{"latitude": ', '{"latitude": "north"}', '[1, 2]']) {
      const response = await fetch(`${server.url}/routeguide.RouteGuide/GetFeature`, { method: "POST", headers: { "content-type": "application/json" }, body });
      const error = (await response.json()) as { code: string; message: string };
      expect(response.status).toBe(400);
      expect(error.code).toBe("invalid_argument");
      expect(error.message).not.toMatch(/\bat .*\.(ts|js):\d+/);
    }
  });

  it("serves side-effect-free methods over Connect GET, so they can be cached", async () => {
    const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", useHttpGet: true, interceptors: [bearer(TEST_TOKEN)] });
    expect((await clientFor(RouteGuide, transport).getFeature({ latitude: 409146138, longitude: -746188906 })).name).toContain("Berkshire");
    const created = await clientFor(UserService, transport).createUser({ username: "getter", email: "getter@example.com", password: "long enough" });
    expect((await clientFor(UserService, transport).getUser({ id: created.id })).username).toBe("getter");
    const get = await fetch(`${server.url}/routeguide.RouteGuide/GetFeature?connect=v1&encoding=json&message=${encodeURIComponent('{"latitude":0,"longitude":0}')}`);
    expect(get.status).toBe(200);
  });

  it.each(PROTOCOL_MATRIX.map((p) => [p.name, p] as const))("%s: a stream whose deadline passes ends and releases its hub subscription", async (_name, protocol) => {
    const notes = clientFor(RouteNotesService, protocol.make(server.url));
    const error = await collect(notes.subscribeNotes({ scope: { case: "location", value: { latitude: 1, longitude: 1 } } }, { timeoutMs: 200 })).catch(ConnectError.from);
    expect(error).toMatchObject({ code: Code.DeadlineExceeded });
    await eventually(() => server.app.noteHub.subscriberCount() === 0, 5_000, "subscribers back to zero");
  });

  it("a client that goes away mid-stream releases its subscription", async () => {
    const controller = new AbortController();
    const notes = clientFor(RouteNotesService, PROTOCOL_MATRIX[1]!.make(server.url));
    const pending = collect(notes.subscribeNotes({ scope: { case: "location", value: { latitude: 2, longitude: 2 } } }, { signal: controller.signal })).catch(() => undefined);
    await eventually(() => server.app.noteHub.subscriberCount() === 1);
    controller.abort();
    await pending;
    await eventually(() => server.app.noteHub.subscriberCount() === 0, 5_000, "subscribers back to zero");
    expect(server.app.chatHub.subscriberCount()).toBe(0);
  });
});

import * as http1 from "node:http";
import * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { RouteNotesService, SubscribeNotesRequestSchema } from "../../gen/routeguide/route_notes_pb.js";
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
  return rawGrpcWith(path, body, {});
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
    // Trailers-only: the status in the response headers, the body empty.
    expect(grpcWeb.headers.get("grpc-status")).toBe("3");
    expect(decodeURIComponent(grpcWeb.headers.get("grpc-message") ?? "")).toMatch(/^parse binary/);
    expect((await grpcWeb.arrayBuffer()).byteLength).toBe(0);

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

  it("a deadline longer than Node's timers (24.8 days) is served on both call paths, not expired at once", async () => {
    // A live subscription (which would end DEADLINE_EXCEEDED within 1 ms if the timer overflowed)
    // is still open 300 ms later. Raw requests: connect-node's client would overflow its own timer.
    const subscribe = toBinary(SubscribeNotesRequestSchema, create(SubscribeNotesRequestSchema, { scope: { case: "location", value: { latitude: 5, longitude: 5 } } }));
    for (const [contentType, timeout] of [["application/grpc", "2147484S"], ["application/grpc", "99999999H"], ["application/grpc-web+proto", "2147484S"]] as const) {
      const session = http2.connect(server.url);
      const stream = session.request({ ":method": "POST", ":path": "/routeguide.RouteNotesService/SubscribeNotes", "content-type": contentType, te: "trailers", "grpc-timeout": timeout });
      let ended = false;
      stream.on("close", () => (ended = true));
      stream.resume();
      stream.end(Buffer.from(frame(subscribe)));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ended, `${contentType} ${timeout}`).toBe(false);
      session.destroy();
    }
    const connect = await fetch(`${server.url}/routeguide.RouteGuide/GetFeature`, {
      method: "POST",
      headers: { "content-type": "application/json", "connect-timeout-ms": String(30 * 24 * 3_600_000) },
      body: "{}",
    });
    expect(connect.status).toBe(200);
  });

  it("a compressed flag without an encoding is the caller's mistake: INVALID_ARGUMENT on both gRPC paths", async () => {
    for (const path of ["/routeguide.RouteGuide/GetFeature", "/routeguide.RouteGuide/RecordRoute"]) {
      const status = await rawGrpc(path, frame(new Uint8Array([8, 1]), 1));
      expect(status["grpc-status"], path).toBe(String(Code.InvalidArgument));
    }
  });

  it("malformed protobuf in a Connect stream or a Connect GET gets INVALID_ARGUMENT", async () => {
    const stream = await fetch(`${server.url}/routeguide.RouteGuide/ListFeatures`, {
      method: "POST",
      headers: { "content-type": "application/connect+proto" },
      body: Buffer.from(frame(garbage)),
    });
    const body = Buffer.from(await stream.arrayBuffer());
    expect(body.subarray(5).toString()).toContain('"code":"invalid_argument"');
    const get = await fetch(`${server.url}/routeguide.RouteGuide/GetFeature?connect=v1&encoding=proto&base64=1&message=__8`);
    expect(get.status).toBe(400);
    expect(await get.json()).toMatchObject({ code: "invalid_argument" });
    const badBase64 = await fetch(`${server.url}/routeguide.RouteGuide/GetFeature?connect=v1&encoding=proto&base64=1&message=a%3Db%3Dc`);
    expect(badBase64.status).toBe(400);
    expect(await badBase64.json()).toMatchObject({ code: "invalid_argument", message: "message: query parameter is not valid base64" });
    // Refused below the interceptors, and still counted like every other call.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^rpc_calls_total\{method="routeguide\.RouteGuide\/GetFeature",protocol="connect",code="INVALID_ARGUMENT"\} [1-9]/m);
  });

  it("refused calls to made-up paths are counted under one label, not one each (metrics memory stays bounded)", async () => {
    for (let i = 0; i < 20; i++) {
      const refused = await fetch(`${server.url}/made.Up/Path${i}?connect=v1&encoding=proto&base64=1&message=a%3Db%3Dc`);
      expect(refused.status).toBe(400);
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).not.toContain("made.Up");
    expect(metrics).toMatch(/^rpc_calls_total\{method="\[unknown\]",protocol="connect",code="INVALID_ARGUMENT"\} 20$/m);
  });

  describe("HTTP/2: a request over the limit gets RESOURCE_EXHAUSTED, then a reset, even while the client keeps sending", () => {
    let stockServer: TestServer;
    beforeAll(async () => (stockServer = await startTestServer({ maxMessageBytes: 64 * 1024, grpcFastPath: false, webLeanPath: false })));
    afterAll(() => stockServer.close());
    const announced = (length: number) => Buffer.from([0, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff]);
    const cases = [
      { name: "unary, whole body sent", path: "/routeguide.RouteGuide/GetFeature", body: Buffer.concat([announced(200_000), Buffer.alloc(200_000)]), keepSending: false },
      { name: "unary, body still coming", path: "/routeguide.RouteGuide/GetFeature", body: announced(200_000), keepSending: true },
      { name: "client stream, still sending", path: "/routeguide.RouteGuide/RecordRoute", body: announced(200_000), keepSending: true },
      { name: "bidi stream, still sending", path: "/routeguide.RouteGuide/RouteChat", body: announced(200_000), keepSending: true },
    ];
    for (const path of ["lean paths", "connect-node alone"] as const) {
      it.each(cases.map((each) => [each.name, each] as const))(`${path}: %s`, async (_name, testCase) => {
        const url = path === "lean paths" ? server.url : stockServer.url;
        const session = http2.connect(url);
        session.on("error", () => {});
        const stream = session.request({ ":method": "POST", ":path": testCase.path, "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${TEST_TOKEN}` });
        let status: string | undefined;
        stream.on("response", (headers) => (status = (headers["grpc-status"] as string | undefined) ?? status));
        stream.on("trailers", (trailers) => (status = trailers["grpc-status"] as string));
        stream.on("data", () => {});
        stream.on("error", () => {});
        stream.write(testCase.body);
        // A client that does not stop on its own: only the server's reset ends the stream.
        const sending = testCase.keepSending ? setInterval(() => stream.closed || stream.write(Buffer.alloc(1_000)), 5) : undefined;
        if (!testCase.keepSending) stream.end();
        const closed = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 10_000);
          stream.on("close", () => (clearTimeout(timer), resolve(true)));
        });
        clearInterval(sending);
        session.destroy();
        expect(status).toBe(String(Code.ResourceExhausted));
        expect(closed).toBe(true);
        expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
      });
    }

    // The browsers' protocols on the lean path, whose HTTP/2 streams are claimed before the HTTP layers.
    const webForms = [
      // An error with no header metadata: trailers-only, the status in the response headers.
      { name: "gRPC-Web", contentType: "application/grpc-web+proto", body: announced(200_000), refused: (head: http2.IncomingHttpHeaders) => head["grpc-status"] === "8" },
      { name: "Connect", contentType: "application/proto", body: Buffer.alloc(70_000), refused: (head: http2.IncomingHttpHeaders, body: string) => Number(head[":status"]) === 429 && body.includes('"code":"resource_exhausted"') },
    ];
    it.each(webForms.map((each) => [each.name, each] as const))("lean paths: %s unary, body still coming", async (_name, form) => {
      const session = http2.connect(server.url);
      session.on("error", () => {});
      const stream = session.request({ ":method": "POST", ":path": "/routeguide.RouteGuide/GetFeature", "content-type": form.contentType });
      const chunks: Buffer[] = [];
      let head: http2.IncomingHttpHeaders = {};
      stream.on("response", (received) => (head = received));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", () => {});
      stream.write(form.body);
      const sending = setInterval(() => stream.closed || stream.write(Buffer.alloc(1_000)), 5);
      const closed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        stream.on("close", () => (clearTimeout(timer), resolve(true)));
      });
      clearInterval(sending);
      session.destroy();
      expect(form.refused(head, Buffer.concat(chunks).toString("latin1"))).toBe(true);
      expect(closed).toBe(true);
      expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    });
  });

  it("HTTP/1.1: after an oversized request is refused, the same connection serves the next call", async () => {
    const agent = new http1.Agent({ keepAlive: true, maxSockets: 1 });
    const post = (body: string) =>
      new Promise<{ status: number; text: string; socket: unknown }>((resolve, reject) => {
        const request = http1.request(`${server.url}/userservice.UserService/Login`, { method: "POST", agent, headers: { "content-type": "application/json" } }, (response) => {
          let text = "";
          response.on("data", (chunk) => (text += chunk)).on("end", () => resolve({ status: response.statusCode!, text, socket: response.socket }));
        });
        request.on("error", reject);
        request.end(body);
      });
    const huge = await post(JSON.stringify({ username: "x".repeat(1_000_000), password: "p" }));
    expect(huge.text).toContain("resource_exhausted");
    const next = await post(JSON.stringify({ username: "nobody", password: "whatever pw" }));
    expect(next.text).toContain("unauthenticated");
    expect(next.socket).toBe(huge.socket);
    agent.destroy();
  });
});

/** A raw gRPC call over h2c with extra headers, returning the status trailers. */
function rawGrpcWith(path: string, body: Uint8Array, headers: Record<string, string>): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(server.url);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    let status: Record<string, string> = {};
    stream.on("response", (h) => (status = { ...status, ...(h as Record<string, string>) }));
    stream.on("trailers", (t) => (status = { ...status, ...(t as Record<string, string>) }));
    stream.on("close", () => (session.close(), resolve(status)));
    stream.resume();
    stream.end(body);
  });
}

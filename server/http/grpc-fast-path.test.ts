import http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { compressionGzip, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PointSchema, RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService, StoredNoteSchema, SubscribeNotesRequestSchema } from "../../gen/routeguide/route_notes_pb.js";
import { UserService } from "../../gen/userservice/user_service_pb.js";
import type { App } from "../app.js";
import { createLogger } from "../observability/logger.js";
import { bearer, collect, createTestApp, eventually, TEST_TOKEN } from "../test-support/test-server.js";
import { createGrpcFastPath } from "./grpc-fast-path.js";
import { listenOnePort, type OnePortServer } from "./one-port-server.js";

// Two servers over the same kind of app: one where the fast path claims HTTP/2 streams before
// the Connect handler, one with connect-node alone. Every case must answer the same on both,
// and the fast one must really have taken the call (its Connect handler counts what it got).
let fast: { app: App; server: OnePortServer; passedOn: string[]; logs: string[] };
let plain: { app: App; server: OnePortServer };

beforeAll(async () => {
  const logs: string[] = [];
  const app = createTestApp({ grpcFastPath: false, maxMessageBytes: 1024, logger: createLogger({ level: "info", write: (line) => logs.push(line) }) });
  const passedOn: string[] = [];
  const claim = createGrpcFastPath({ routes: app.routes, interceptors: app.routerOptions.interceptors, readMaxBytes: 1024, shutdownSignal: app.routerOptions.shutdownSignal });
  const handler: typeof app.handler = (request, response) => (passedOn.push(String(request.url)), app.handler(request, response));
  fast = { app, server: await listenOnePort({ handler, claimStream: claim, port: 0 }), passedOn, logs };
  const plainApp = createTestApp({ grpcFastPath: false, maxMessageBytes: 1024 });
  plain = { app: plainApp, server: await listenOnePort({ handler: plainApp.handler, port: 0 }) };
});
afterAll(async () => {
  for (const { app, server } of [fast, plain]) {
    await server.close(1_000);
    await app.close();
  }
});

const clients = (token: string | undefined = TEST_TOKEN) =>
  [fast, plain].map(({ server }) => {
    const transport = createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(token)] });
    return { guide: createClient(RouteGuide, transport), users: createClient(UserService, transport) };
  });

async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await call() };
  } catch (error) {
    const connectError = ConnectError.from(error);
    return { code: Code[connectError.code], message: connectError.rawMessage };
  }
}

async function sameOnBoth(call: (client: ReturnType<typeof clients>[number]) => Promise<unknown>, token?: string) {
  const [onFast, onPlain] = await Promise.all(clients(token).map((client) => outcome(() => call(client))));
  expect(onFast).toEqual(onPlain);
  return onFast;
}

describe("the gRPC fast path", () => {
  it("answers GetFeature itself, exactly as connect-node does", async () => {
    fast.passedOn.length = 0;
    const result = await sameOnBoth(({ guide }) => guide.getFeature({ latitude: 409146138, longitude: -746188906 }));
    expect(result).toMatchObject({ ok: { name: expect.stringContaining("Berkshire Valley") } });
    expect(fast.passedOn).toEqual([]);
  });

  it("gives the same codes and messages for validation, auth, not-found and bad tokens", async () => {
    expect(await sameOnBoth(({ guide }) => guide.getFeature({ latitude: 900000001, longitude: 0 }))).toMatchObject({ code: "InvalidArgument" });
    expect(await sameOnBoth(({ users }) => users.createUser({ username: "x", email: "bad", password: "short" }))).toMatchObject({ code: "InvalidArgument", message: expect.stringContaining("username:") });
    expect(await sameOnBoth(({ users }) => users.getUser({ id: "nobody" }))).toMatchObject({ code: "NotFound" });
    expect(await sameOnBoth(({ users }) => users.getUser({ id: "nobody" }), "not-a-token")).toMatchObject({ code: "Unauthenticated" });
    expect(await sameOnBoth(({ users }) => users.login({ username: "ghost", password: "whatever1" }))).toMatchObject({ code: "Unauthenticated" });
  });

  it("runs the interceptors: the call is logged with its request id, which comes back in a header", async () => {
    const client = createClient(RouteGuide, createGrpcTransport({ baseUrl: fast.server.url }));
    let echoed: string | null = null;
    await client.getFeature({ latitude: 1, longitude: 2 }, { headers: { "x-request-id": "fast-123" }, onHeader: (header) => (echoed = header.get("x-request-id")) });
    expect(echoed).toBe("fast-123");
    const line = JSON.parse(fast.logs.findLast((entry) => entry.includes("fast-123"))!);
    expect(line).toMatchObject({ method: "routeguide.RouteGuide/GetFeature", protocol: "grpc", code: "OK", requestId: "fast-123" });
  });

  it("ends a call whose deadline passes with DEADLINE_EXCEEDED", async () => {
    const [onFast] = await Promise.all(
      clients().map(({ users }) => outcome(() => users.login({ username: "ghost", password: "whatever1" }, { timeoutMs: 1 }))),
    );
    expect(onFast).toMatchObject({ code: "DeadlineExceeded" });
  });

  it("answers malformed, oversized and extra messages as connect-node (with the wire fixes) does", async () => {
    const point = toBinary(PointSchema, create(PointSchema, { latitude: 1, longitude: 2 }));
    const framed = (bytes: Uint8Array) => {
      const buffer = Buffer.alloc(5 + bytes.length);
      buffer.writeUInt32BE(bytes.length, 1);
      buffer.set(bytes, 5);
      return buffer;
    };
    const bodies = {
      malformed: framed(Uint8Array.of(0x0a, 0xff)),
      oversized: framed(new Uint8Array(2048)),
      extra: Buffer.concat([framed(point), framed(point)]),
      truncated: framed(point).subarray(0, 8),
    };
    for (const [name, body] of Object.entries(bodies)) {
      const [onFast, onPlain] = (await Promise.all([fast, plain].map(({ server }) => rawGrpc(server.url, "/routeguide.RouteGuide/GetFeature", body)))) as [Awaited<ReturnType<typeof rawGrpc>>, Awaited<ReturnType<typeof rawGrpc>>];
      expect(onFast, name).toEqual(onPlain);
      if (name === "malformed" || name === "oversized") expect(onFast.status, name).toBe(name === "malformed" ? "3" : "8");
    }
  });

  it("serves server streams itself: the same messages, errors and deadlines as connect-node", async () => {
    fast.passedOn.length = 0;
    const area = { lo: { latitude: 400000000, longitude: -750000000 }, hi: { latitude: 410000000, longitude: -740000000 } };
    const listed = (await sameOnBoth(async ({ guide }) => (await collect(guide.listFeatures(area))).map((feature) => feature.name))) as { ok: string[] };
    expect(listed.ok.length).toBeGreaterThan(10);
    expect(await sameOnBoth(async ({ guide }) => collect(guide.listFeatures({ lo: { latitude: 0, longitude: 1800000001 } })))).toMatchObject({ code: "InvalidArgument" });
    expect(await sameOnBoth(async ({ users }) => collect(users.listUsers({ pageSize: 2 })), "bad-token")).toMatchObject({ code: "Unauthenticated" });
    expect(fast.passedOn).toEqual([]);

    // A live stream that outlives its deadline: the notes so far, then DEADLINE_EXCEEDED.
    const [client] = clients();
    await client!.guide.getFeature({ latitude: 1, longitude: 1 });
    const notes = createClient(RouteNotesService, createGrpcTransport({ baseUrl: fast.server.url }));
    await notes.postNote({ location: { latitude: 7, longitude: 7 }, message: "before" });
    const received: string[] = [];
    const ending = await outcome(async () => {
      for await (const stored of notes.subscribeNotes({ scope: { case: "location", value: { latitude: 7, longitude: 7 } } }, { timeoutMs: 300 })) {
        received.push(stored.note?.message ?? "");
      }
    });
    expect(received).toEqual(["before"]);
    expect(ending).toMatchObject({ code: "DeadlineExceeded" });
    await eventually(() => fast.app.noteHub.subscriberCount() === 0);
  });

  it("holds a live stream's notes while its client does not read, and delivers every one in order once it does", async () => {
    const location = { latitude: 11, longitude: 11 };
    const session = http2.connect(fast.server.url);
    const stream = session.request({ ":method": "POST", ":path": "/routeguide.RouteNotesService/SubscribeNotes", "content-type": "application/grpc", te: "trailers" });
    const received: Buffer[] = [];
    const live = new Promise<void>((resolve) => stream.on("data", (chunk: Buffer) => (received.push(chunk), resolve())));
    stream.end(framedMessage(toBinary(SubscribeNotesRequestSchema, create(SubscribeNotesRequestSchema, { scope: { case: "location", value: location }, heartbeats: true }))));
    await live;
    stream.pause();
    // 400 notes of 1 KB: far more than the HTTP/2 window and the stream's buffer hold.
    const text = (index: number) => `${String(index).padStart(4, "0")}${"n".repeat(1_000)}`;
    for (let index = 1; index <= 400; index++) {
      await fast.app.noteHub.publish({ record: { id: BigInt(2_000_000 + index), ...location, message: text(index), createdAt: Date.now() }, originId: undefined });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    stream.resume();
    const messages = () => {
      const body = Buffer.concat(received);
      const found: string[] = [];
      for (let offset = 0; offset + 5 <= body.length && offset + 5 + body.readUInt32BE(offset + 1) <= body.length; offset += 5 + body.readUInt32BE(offset + 1)) {
        const note = fromBinary(StoredNoteSchema, body.subarray(offset + 5, offset + 5 + body.readUInt32BE(offset + 1)));
        if (note.note !== undefined) found.push(note.note.message);
      }
      return found;
    };
    await eventually(() => messages().length === 400);
    expect(messages()).toEqual(Array.from({ length: 400 }, (_, index) => text(index + 1)));
    session.destroy();
    await eventually(() => fast.app.noteHub.subscriberCount() === 0);
  });

  it("sends a unary call's own response trailers after grpc-status, and only on that call", async () => {
    // An interceptor that adds a trailer when the request asks for one.
    const addsTrailer: Interceptor = (next) => async (request) => {
      const response = await next(request);
      const wanted = request.header.get("x-want-trailer");
      if (wanted !== null) response.trailer.set("x-test-trailer", wanted);
      return response;
    };
    const claim = createGrpcFastPath({ routes: fast.app.routes, interceptors: [addsTrailer, ...(fast.app.routerOptions.interceptors ?? [])] });
    const server = await listenOnePort({ handler: fast.app.handler, claimStream: claim, port: 0 });
    try {
      const body = framedMessage(toBinary(PointSchema, create(PointSchema, { latitude: 409146138, longitude: -746188906 })));
      const asked = await rawGrpcTrailers(server.url, { "x-want-trailer": "first" }, body);
      const notAsked = await rawGrpcTrailers(server.url, {}, body);
      expect(asked).toMatchObject({ "grpc-status": "0", "x-test-trailer": "first" });
      expect(notAsked["grpc-status"]).toBe("0");
      expect(notAsked["x-test-trailer"]).toBeUndefined();
    } finally {
      await server.close(1_000);
    }
  });

  it("sends a unary call's header metadata with its response headers; a content type the call sets replaces the default", async () => {
    // An interceptor that sets response headers when the request asks for them (as connect-node
    // lets it: the content type is one of the call's response headers there too).
    const setsHeaders: Interceptor = (next) => async (request) => {
      const response = await next(request);
      const wanted = request.header.get("x-want-header");
      if (wanted !== null) {
        response.header.set("x-test-header", wanted);
        response.header.set("content-type", "application/grpc+proto");
      }
      return response;
    };
    const claim = createGrpcFastPath({ routes: fast.app.routes, interceptors: [setsHeaders, ...(fast.app.routerOptions.interceptors ?? [])] });
    const server = await listenOnePort({ handler: fast.app.handler, claimStream: claim, port: 0 });
    const names = (raw: string[]) => raw.filter((_, index) => index % 2 === 0);
    try {
      const body = framedMessage(toBinary(PointSchema, create(PointSchema, { latitude: 409146138, longitude: -746188906 })));
      const asked = await rawGrpcHead(server.url, { "x-want-header": "first" }, body);
      expect(asked.trailers["grpc-status"]).toBe("0");
      expect(names(asked.rawHeaders).filter((name) => name === "content-type")).toHaveLength(1);
      expect(asked.rawHeaders[asked.rawHeaders.indexOf("content-type") + 1]).toBe("application/grpc+proto");
      expect(asked.rawHeaders[asked.rawHeaders.indexOf("x-test-header") + 1]).toBe("first");
      const notAsked = await rawGrpcHead(server.url, {}, body);
      expect(notAsked.rawHeaders[notAsked.rawHeaders.indexOf("content-type") + 1]).toBe("application/grpc");
      expect(names(notAsked.rawHeaders)).not.toContain("x-test-header");
      expect(names(notAsked.rawHeaders)).toEqual(expect.arrayContaining([":status", "content-type", "x-request-id", "date"]));
    } finally {
      await server.close(1_000);
    }
  });

  it("passes everything else on: client and bidi streams, unknown methods, compressed requests", async () => {
    fast.passedOn.length = 0;
    const [client] = clients();
    await client!.guide.recordRoute((async function* () {
      yield { latitude: 409146138, longitude: -746188906 };
    })());
    const gzip = createClient(RouteGuide, createGrpcTransport({ baseUrl: fast.server.url, sendCompression: compressionGzip, compressMinBytes: 0 }));
    expect((await gzip.getFeature({ latitude: 409146138, longitude: -746188906 })).name).toContain("Berkshire");
    const unknown = await Promise.all([fast, plain].map(({ server }) => rawGrpc(server.url, "/routeguide.RouteGuide/Nope", Buffer.alloc(5))));
    expect(unknown[0]).toEqual(unknown[1]);
    expect(fast.passedOn).toEqual(["/routeguide.RouteGuide/RecordRoute", "/routeguide.RouteGuide/GetFeature", "/routeguide.RouteGuide/Nope"]);
  });
});

function framedMessage(bytes: Uint8Array): Buffer {
  const buffer = Buffer.alloc(5 + bytes.length);
  buffer.writeUInt32BE(bytes.length, 1);
  buffer.set(bytes, 5);
  return buffer;
}

/** A raw GetFeature call's trailers. */
async function rawGrpcTrailers(url: string, headers: Record<string, string>, body: Buffer): Promise<http2.IncomingHttpHeaders> {
  return (await rawGrpcHead(url, headers, body)).trailers;
}

/** A raw GetFeature call's response headers (as received: names and values) and trailers. */
function rawGrpcHead(url: string, headers: Record<string, string>, body: Buffer): Promise<{ rawHeaders: string[]; trailers: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    const stream = session.request({ ":method": "POST", ":path": "/routeguide.RouteGuide/GetFeature", "content-type": "application/grpc", te: "trailers", ...headers });
    let trailers: http2.IncomingHttpHeaders = {};
    let rawHeaders: string[] = [];
    stream.on("response", (_headers, _flags, raw: string[]) => (rawHeaders = raw));
    stream.on("trailers", (received) => (trailers = received)).on("data", () => {});
    stream.on("close", () => (session.close(), resolve({ rawHeaders, trailers })));
    stream.on("error", reject);
    stream.end(body);
  });
}

function rawGrpc(url: string, path: string, body: Buffer): Promise<{ status?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    let status: string | undefined;
    let message: string | undefined;
    const take = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] !== undefined) (status = String(headers["grpc-status"])), (message = headers["grpc-message"] as string | undefined);
    };
    stream.on("response", take).on("trailers", take).on("data", () => {});
    stream.on("close", () => (session.close(), resolve({ status, message })));
    stream.on("error", reject);
    stream.end(body);
  });
}

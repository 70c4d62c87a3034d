import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PointSchema, RectangleSchema } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../../gen/routeguide/route_notes_pb.js";
import { CreateUserRequestSchema, GetUserRequestSchema } from "../../gen/userservice/user_service_pb.js";
import type { App } from "../app.js";
import { createTestApp, eventually, TEST_TOKEN } from "../test-support/test-server.js";
import { listenOnePort, type OnePortServer } from "./one-port-server.js";

// Which requests reached connect-node, per app (in the order the apps were made): the lean app's
// must stay empty for every call the lean path is meant to take.
const reachedConnectNode = vi.hoisted(() => [] as string[][]);
vi.mock("@connectrpc/connect-node", async (importOriginal) => {
  const original = await importOriginal<typeof import("@connectrpc/connect-node")>();
  return {
    ...original,
    connectNodeAdapter: (options: Parameters<typeof original.connectNodeAdapter>[0]) => {
      const seen: string[] = [];
      reachedConnectNode.push(seen);
      const handler = original.connectNodeAdapter(options);
      return (request: http.IncomingMessage, response: http.ServerResponse) => (seen.push(String(request.url)), handler(request, response));
    },
  };
});

const ORIGIN = "http://app.example";
let lean: { app: App; server: OnePortServer };
/** The same app, with its HTTP/2 streams claimed before Node's compatibility layer (as main.ts serves). */
let leanStreams: { app: App; server: OnePortServer };
let plain: { app: App; server: OnePortServer };
/** Which requests to leanStreams reached Node's compatibility layer (rather than being claimed as streams). */
const reachedCompatibilityLayer: string[] = [];

beforeAll(async () => {
  const options = { maxMessageBytes: 1024, grpcFastPath: false, corsOrigins: [ORIGIN] };
  const leanApp = createTestApp({ ...options, webLeanPath: true });
  lean = { app: leanApp, server: await listenOnePort({ handler: leanApp.handler, port: 0 }) };
  const handler: typeof leanApp.handler = (request, response) => (reachedCompatibilityLayer.push(String(request.url)), leanApp.handler(request, response));
  leanStreams = { app: leanApp, server: await listenOnePort({ handler, claimStream: leanApp.claimStream, port: 0 }) };
  const plainApp = createTestApp({ ...options, webLeanPath: false });
  plain = { app: plainApp, server: await listenOnePort({ handler: plainApp.handler, port: 0 }) };
});
afterAll(async () => {
  await leanStreams.server.close(1_000);
  for (const { app, server } of [lean, plain]) {
    await server.close(1_000);
    await app.close();
  }
});

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  trailers: Record<string, unknown>;
  body: string;
}

/** A POST with `body`; a GET without one. */
type Send = (url: string, path: string, headers: Record<string, string>, body: Uint8Array | undefined) => Promise<Answer>;

/**
 * Everything the client sees but the date, and which fields HPACK sent as never indexed (an
 * encoder's choice: the lean paths never index the echoed request id, unique-header-fields.ts).
 */
function answerOf(status: number, headers: Record<string, unknown>, trailers: Record<string, unknown>, body: Buffer): Answer {
  const { date: _date, [http2.sensitiveHeaders]: _neverIndexed, ...rest } = headers as Record<string | symbol, unknown>;
  return { status, headers: rest, trailers, body: body.toString("base64") };
}

const sendHttp1: Send = (url, path, headers, body) =>
  new Promise((resolve, reject) => {
    const method = body === undefined ? "GET" : "POST";
    const request = http.request(`${url}${path}`, { method, headers: body === undefined ? headers : { ...headers, "content-length": String(body.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve(answerOf(response.statusCode ?? 0, response.headers, response.trailers, Buffer.concat(chunks))));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });

const sendHttp2: Send = (url, path, headers, body) =>
  new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on("error", reject);
    const stream = session.request({ ":method": body === undefined ? "GET" : "POST", ":path": path, ...headers });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on("response", (received) => (head = received));
    stream.on("trailers", (received) => (trailers = received));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("close", () => {
      session.close();
      const { ":status": status, ...rest } = head;
      resolve(answerOf(Number(status), rest, trailers, Buffer.concat(chunks)));
    });
    stream.on("error", () => {});
    stream.end(body);
  });

function framed(bytes: Uint8Array, flags = 0): Buffer {
  const frame = Buffer.alloc(5 + bytes.length);
  frame[0] = flags;
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, 5);
  return frame;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const BERKSHIRE = { latitude: 409146138, longitude: -746188906 };
const OFF_THE_GLOBE = { latitude: 900000001, longitude: 0 };
const AREA = { lo: { latitude: 400000000, longitude: -750000000 }, hi: { latitude: 410000000, longitude: -740000000 } };
const BAD_USER = { username: "x", email: "bad", password: "short" };
const pointBytes = (point: { latitude: number; longitude: number }) => toBinary(PointSchema, create(PointSchema, point));

/** One wire form: its content type and how it frames a request message (binary bytes or JSON value). */
interface Form {
  name: string;
  contentType: string;
  /** The request body for a message given as protobuf bytes and as JSON. */
  body(bytes: Uint8Array, value: unknown): Buffer;
  /** Which methods it is for. */
  kind: "unary" | "server_streaming" | "both";
}

const FORMS: Form[] = [
  { name: "gRPC-Web", contentType: "application/grpc-web+proto", body: (bytes) => framed(bytes), kind: "both" },
  { name: "gRPC-Web (bare type)", contentType: "application/grpc-web", body: (bytes) => framed(bytes), kind: "both" },
  { name: "gRPC-Web JSON", contentType: "application/grpc-web+json", body: (_, value) => framed(json(value)), kind: "both" },
  { name: "Connect binary", contentType: "application/proto", body: (bytes) => Buffer.from(bytes), kind: "unary" },
  { name: "Connect JSON", contentType: "application/json", body: (_, value) => json(value), kind: "unary" },
  { name: "Connect JSON (charset)", contentType: "application/json; charset=utf-8", body: (_, value) => json(value), kind: "unary" },
  { name: "Connect stream binary", contentType: "application/connect+proto", body: (bytes) => framed(bytes), kind: "server_streaming" },
  { name: "Connect stream JSON", contentType: "application/connect+json", body: (_, value) => framed(json(value)), kind: "server_streaming" },
];

interface Case {
  name: string;
  path: string;
  kind: "unary" | "server_streaming";
  bytes: Uint8Array;
  value: unknown;
  headers?: Record<string, string>;
  /** Replaces the form's body (malformed, oversized and cut-off requests). */
  raw?: (form: Form) => Buffer | undefined;
}

const GET_FEATURE = "/routeguide.RouteGuide/GetFeature";
const LIST_FEATURES = "/routeguide.RouteGuide/ListFeatures";
const isEnveloped = (form: Form) => form.contentType.includes("grpc-web") || form.contentType.includes("connect+");
const isJson = (form: Form) => form.contentType.includes("json");

/** A Point's JSON with one key twice: connect refuses it (server/lib/json-codec.ts must not take it). */
const TWICE = Buffer.from('{"latitude":1,"l\\u0061titude":2}');

const CASES: Case[] = [
  { name: "a feature", path: GET_FEATURE, kind: "unary", bytes: pointBytes(BERKSHIRE), value: BERKSHIRE },
  { name: "a point off the globe (rule violation, details)", path: GET_FEATURE, kind: "unary", bytes: pointBytes(OFF_THE_GLOBE), value: OFF_THE_GLOBE },
  {
    name: "a sign-up breaking three rules, to a client that accepts gzip (an error large enough to compress)",
    path: "/userservice.UserService/CreateUser",
    kind: "unary",
    bytes: toBinary(CreateUserRequestSchema, create(CreateUserRequestSchema, BAD_USER)),
    value: BAD_USER,
    headers: { "accept-encoding": "gzip", "grpc-accept-encoding": "gzip", "connect-accept-encoding": "gzip" },
  },
  { name: "an unknown user", path: "/userservice.UserService/GetUser", kind: "unary", bytes: toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id: "nobody" })), value: { id: "nobody" }, headers: { authorization: `Bearer ${TEST_TOKEN}` } },
  { name: "a bad token", path: "/userservice.UserService/GetUser", kind: "unary", bytes: new Uint8Array(), value: {}, headers: { authorization: "Bearer not-a-token" } },
  { name: "a malformed message", path: GET_FEATURE, kind: "unary", bytes: Uint8Array.of(0x0a, 0xff), value: { latitude: "north" } },
  { name: "an oversized message", path: GET_FEATURE, kind: "unary", bytes: new Uint8Array(2048).fill(0x20), value: { pad: "x".repeat(2048) }, raw: (form) => (isJson(form) ? Buffer.from(`{"latitude": 1${" ".repeat(2048)}}`) : undefined) },
  { name: "two messages for a unary method", path: GET_FEATURE, kind: "unary", bytes: pointBytes(BERKSHIRE), value: BERKSHIRE, raw: (form) => (isEnveloped(form) ? Buffer.concat([form.body(pointBytes(BERKSHIRE), BERKSHIRE), form.body(pointBytes(BERKSHIRE), BERKSHIRE)]) : undefined) },
  { name: "a cut-off envelope", path: GET_FEATURE, kind: "unary", bytes: pointBytes(BERKSHIRE), value: BERKSHIRE, raw: (form) => (isEnveloped(form) ? form.body(pointBytes(BERKSHIRE), BERKSHIRE).subarray(0, 7) : undefined) },
  { name: "JSON with a key twice, once escaped", path: GET_FEATURE, kind: "unary", bytes: pointBytes(BERKSHIRE), value: BERKSHIRE, raw: (form) => (isJson(form) ? (isEnveloped(form) ? framed(TWICE) : TWICE) : undefined) },
  { name: "an empty body", path: GET_FEATURE, kind: "unary", bytes: new Uint8Array(), value: {}, raw: () => Buffer.alloc(0) },
  { name: "a compressed envelope nobody announced", path: GET_FEATURE, kind: "unary", bytes: pointBytes(BERKSHIRE), value: BERKSHIRE, raw: (form) => (isEnveloped(form) ? framed(pointBytes(BERKSHIRE), 1) : undefined) },
  { name: "a malformed deadline", path: GET_FEATURE, kind: "unary", bytes: pointBytes(BERKSHIRE), value: BERKSHIRE, headers: { "grpc-timeout": "soon", "connect-timeout-ms": "soon" } },
  { name: "a cross-origin call from an allowed origin", path: GET_FEATURE, kind: "unary", bytes: pointBytes(BERKSHIRE), value: BERKSHIRE, headers: { origin: ORIGIN } },
  { name: "features in an area (a server stream)", path: LIST_FEATURES, kind: "server_streaming", bytes: toBinary(RectangleSchema, create(RectangleSchema, AREA)), value: AREA },
  { name: "an area with no features (an empty stream)", path: LIST_FEATURES, kind: "server_streaming", bytes: toBinary(RectangleSchema, create(RectangleSchema, { lo: { latitude: 1, longitude: 1 }, hi: { latitude: 2, longitude: 2 } })), value: { lo: { latitude: 1, longitude: 1 }, hi: { latitude: 2, longitude: 2 } } },
  { name: "an area off the globe", path: LIST_FEATURES, kind: "server_streaming", bytes: toBinary(RectangleSchema, create(RectangleSchema, { lo: OFF_THE_GLOBE, hi: BERKSHIRE })), value: { lo: OFF_THE_GLOBE, hi: BERKSHIRE } },
  { name: "users with a bad token (a stream refused)", path: "/userservice.UserService/ListUsers", kind: "server_streaming", bytes: new Uint8Array(), value: {}, headers: { authorization: "Bearer not-a-token" } },
  { name: "a malformed stream request", path: LIST_FEATURES, kind: "server_streaming", bytes: Uint8Array.of(0x0a, 0xff), value: { lo: "x" } },
  { name: "an oversized stream request", path: LIST_FEATURES, kind: "server_streaming", bytes: new Uint8Array(2048).fill(0x20), value: { pad: "x".repeat(2048) } },
];

/** Connect GETs as connect-web sends them (useHttpGet), and the mistakes a hand-made one can hold. */
const GETS: Array<{ name: string; query: string; path?: string; headers?: Record<string, string> }> = [
  { name: "binary, base64url", query: `encoding=proto&base64=1&connect=v1&message=${Buffer.from(pointBytes(BERKSHIRE)).toString("base64url")}` },
  { name: "JSON, plain", query: `encoding=json&message=${encodeURIComponent(JSON.stringify(BERKSHIRE))}` },
  { name: "a rule broken", query: `encoding=json&message=${encodeURIComponent(JSON.stringify(OFF_THE_GLOBE))}` },
  { name: "a rule broken, to a client that accepts gzip", query: `encoding=json&message=${encodeURIComponent(JSON.stringify(OFF_THE_GLOBE))}`, headers: { "accept-encoding": "gzip, deflate, br" } },
  { name: "malformed protobuf", query: `encoding=proto&base64=1&message=${Buffer.from([0x0a, 0xff]).toString("base64url")}` },
  { name: "an oversized message", query: `encoding=proto&base64=1&message=${Buffer.alloc(2048, 0x20).toString("base64url")}` },
  { name: "no message", query: "encoding=proto" },
  { name: "malformed base64 (the GET guard answers)", query: "encoding=proto&base64=1&message=a%21b%3F" },
  { name: "a malformed deadline", query: `encoding=json&message=%7B%7D`, headers: { "connect-timeout-ms": "soon" } },
  { name: "an unknown user", path: "/userservice.UserService/GetUser", query: `encoding=json&message=${encodeURIComponent('{"id":"nobody"}')}`, headers: { authorization: `Bearer ${TEST_TOKEN}` } },
  { name: "a bad token", path: "/userservice.UserService/GetUser", query: `encoding=json&message=%7B%7D`, headers: { authorization: "Bearer nope" } },
];

/** Each way a call reaches the lean path: HTTP/1.1, HTTP/2 through Node's compatibility layer, HTTP/2 streams claimed before it. */
const VERSIONS = [
  ["HTTP/1.1", sendHttp1, () => lean],
  ["HTTP/2 (compatibility layer)", sendHttp2, () => lean],
  ["HTTP/2 (claimed streams)", sendHttp2, () => leanStreams],
] as const;

describe("the lean path for gRPC-Web and Connect", () => {
  for (const [version, send, leanServer] of VERSIONS) {
    for (const form of FORMS) {
      it(`answers ${form.name} over ${version} byte for byte as connect-node does, and takes every call itself`, async () => {
        const [leanSeen] = reachedConnectNode;
        leanSeen!.length = 0;
        reachedCompatibilityLayer.length = 0;
        for (const testCase of CASES.filter((each) => form.kind === "both" || form.kind === each.kind)) {
          const body = testCase.raw?.(form) ?? form.body(testCase.bytes, testCase.value);
          const headers = { "content-type": form.contentType, "x-request-id": "same-id", ...testCase.headers };
          const [onLean, onPlain] = await Promise.all([leanServer(), plain].map(({ server }) => send(server.url, testCase.path, headers, body)));
          expect(onLean, `${testCase.name}`).toEqual(onPlain);
        }
        expect(leanSeen).toEqual([]);
        expect(reachedCompatibilityLayer).toEqual([]);
      });
    }
  }

  for (const [version, send, leanServer] of VERSIONS) {
    it(`answers Connect GETs over ${version} byte for byte as connect-node does, and takes every one itself`, async () => {
      const [leanSeen] = reachedConnectNode;
      leanSeen!.length = 0;
      reachedCompatibilityLayer.length = 0;
      for (const get of GETS) {
        const path = `${get.path ?? GET_FEATURE}?${get.query}`;
        const [onLean, onPlain] = await Promise.all([leanServer(), plain].map(({ server }) => send(server.url, path, { "x-request-id": "same-id", ...get.headers }, undefined)));
        expect(onLean, get.name).toEqual(onPlain);
      }
      expect(leanSeen).toEqual([]);
      // Only the GET the guard answers goes on to the HTTP layers.
      expect(reachedCompatibilityLayer.map((url) => url.includes("a%21b"))).toEqual(leanServer() === leanStreams ? [true] : []);
    });
  }

  it("answers the wire forms it does not take through connect-node: GETs it cannot serve, gRPC-Web text, compressed requests, a unary type for a stream", async () => {
    const [leanSeen] = reachedConnectNode;
    leanSeen!.length = 0;
    const message = encodeURIComponent(JSON.stringify(BERKSHIRE));
    const gets = [`${GET_FEATURE}?encoding=json&compression=gzip&message=${message}`, `${GET_FEATURE}?message=${message}`, `/userservice.UserService/CreateUser?encoding=json&message=%7B%7D`];
    for (const path of gets) {
      const [onLean, onPlain] = await Promise.all([lean, plain].map(({ server }) => sendHttp1(server.url, path, {}, undefined)));
      expect(onLean, path).toEqual(onPlain);
    }
    const cases: Array<[Record<string, string>, Buffer, string]> = [
      [{ "content-type": "application/grpc-web-text" }, Buffer.from(framed(pointBytes(BERKSHIRE)).toString("base64")), GET_FEATURE],
      [{ "content-type": "application/proto", "content-encoding": "gzip" }, (await import("node:zlib")).gzipSync(pointBytes(BERKSHIRE)), GET_FEATURE],
      [{ "content-type": "application/proto" }, Buffer.from(toBinary(RectangleSchema, create(RectangleSchema, AREA))), LIST_FEATURES],
    ];
    for (const [headers, body, path] of cases) {
      const [onLean, onPlain] = await Promise.all([lean, plain].map(({ server }) => sendHttp1(server.url, path, headers, body)));
      expect(onLean).toEqual(onPlain);
    }
    expect(leanSeen!.map((url) => url.split("?")[0])).toEqual([GET_FEATURE, GET_FEATURE, "/userservice.UserService/CreateUser", GET_FEATURE, GET_FEATURE, LIST_FEATURES]);
  });

  for (const [index, [version, send, leanServer]] of VERSIONS.entries()) {
    it(`holds a live stream's notes while its ${version} client does not read, and delivers every one in order once it does`, async () => {
      const location = { latitude: 9, longitude: 9 + index };
      const { server } = leanServer();
      const request = framed(json({ location, heartbeats: true }));
      const headers = { "content-type": "application/connect+json" };
      const path = "/routeguide.RouteNotesService/SubscribeNotes";
      const received: Buffer[] = [];
      let pause!: () => void;
      let resume!: () => void;
      let close!: () => void;
      const firstData = new Promise<void>((resolve) => {
        const onData = (chunk: Buffer) => (received.push(chunk), resolve());
        if (send === sendHttp1) {
          const client = http.request(`${server.url}${path}`, { method: "POST", headers, agent: false }, (response) => {
            response.on("data", onData);
            (pause = () => response.pause()), (resume = () => response.resume());
          });
          client.on("error", () => {});
          close = () => client.destroy();
          client.end(request);
        } else {
          const session = http2.connect(server.url);
          const stream = session.request({ ":method": "POST", ":path": path, ...headers });
          stream.on("data", onData);
          stream.on("error", () => {});
          (pause = () => stream.pause()), (resume = () => stream.resume());
          close = () => session.destroy();
          stream.end(request);
        }
      });
      await firstData; // the heartbeat: the stream is live
      pause();
      // 400 notes of 1 KB: far more than the socket, HTTP/2 window and response buffers hold.
      const count = 400;
      const text = (index: number) => `${String(index).padStart(4, "0")}${"n".repeat(1_000)}`;
      for (let index = 1; index <= count; index++) {
        await lean.app.noteHub.publish({ record: { id: BigInt(1_000_000 + index), ...location, message: text(index), createdAt: Date.now() }, originId: undefined });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      resume();
      const expected = Array.from({ length: count }, (_, index) => text(index + 1));
      const messages = () => {
        const body = Buffer.concat(received);
        const found: string[] = [];
        for (let offset = 0; offset + 5 <= body.length; offset += 5 + body.readUInt32BE(offset + 1)) {
          if (body[offset] !== 0 || offset + 5 + body.readUInt32BE(offset + 1) > body.length) continue;
          const note = JSON.parse(body.subarray(offset + 5, offset + 5 + body.readUInt32BE(offset + 1)).toString()) as { note?: { message: string } };
          if (note.note !== undefined) found.push(note.note.message);
        }
        return found;
      };
      await eventually(() => messages().length === count);
      expect(messages()).toEqual(expected);
      close();
      await eventually(() => lean.app.noteHub.subscriberCount() === 0);
    });
  }

  it("HTTP/1.1: of the calls read in one turn of the event loop, the first is answered at once and the others after the turn's reads (http1-end-batch.ts)", async () => {
    const events: string[] = [];
    const server = http.createServer((request, response) => {
      const name = String(request.headers["x-name"]);
      events.push(`read ${name}`);
      const end = response.end.bind(response) as (chunk?: Uint8Array) => http.ServerResponse;
      response.end = ((chunk?: Uint8Array) => (events.push(`end ${name}`), end(chunk))) as typeof response.end;
      lean.app.handler(request, response);
    });
    let accepted = 0;
    server.on("connection", () => accepted++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const body = json(BERKSHIRE);
    const sockets = ["a", "b", "c"].map((name) => {
      const socket = net.connect(port, "127.0.0.1");
      const answer = new Promise<string>((resolve) => {
        let text = "";
        socket.on("data", (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes("Berkshire")) resolve(text);
        });
      });
      const request = `POST ${GET_FEATURE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Name: ${name}\r\n\r\n${body}`;
      return { socket, answer, request };
    });
    await eventually(() => accepted === 3);
    for (const { socket, request } of sockets) socket.write(request);
    // Held until the requests wait in the server's sockets: its next poll reads them in one turn.
    for (const until = Date.now() + 50; Date.now() < until; );
    const answers = await Promise.all(sockets.map(({ answer }) => answer));
    expect(answers.every((answer) => answer.startsWith("HTTP/1.1 200 OK"))).toBe(true);
    expect(events).toEqual(["read a", "end a", "read b", "read c", "end b", "end c"]);
    for (const { socket } of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("ends a live stream whose deadline passes with DEADLINE_EXCEEDED, after the notes so far, and releases its subscription", async () => {
    for (const transport of [
      createConnectTransport({ baseUrl: lean.server.url, httpVersion: "1.1" }),
      createGrpcWebTransport({ baseUrl: lean.server.url, httpVersion: "2" }),
      createConnectTransport({ baseUrl: leanStreams.server.url, httpVersion: "2" }),
    ]) {
      const notes = createClient(RouteNotesService, transport);
      const location = { latitude: 8, longitude: 8 };
      await notes.postNote({ location, message: "before" });
      const received: string[] = [];
      let ending: ConnectError | undefined;
      try {
        for await (const stored of notes.subscribeNotes({ scope: { case: "location", value: location } }, { timeoutMs: 300 })) received.push(stored.note?.message ?? "");
      } catch (error) {
        ending = ConnectError.from(error);
      }
      expect(received[0]).toBe("before");
      expect(ending?.code).toBe(Code.DeadlineExceeded);
      await eventually(() => lean.app.noteHub.subscriberCount() === 0);
    }
  });
});

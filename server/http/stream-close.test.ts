import { EventEmitter } from "node:events";
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PointSchema, RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { envelope } from "../lib/envelope.js";
import { createGrpcFastPath } from "./grpc-fast-path.js";
import { listenOnePort, type OnePortServer } from "./one-port-server.js";
import { relayClose, relayStreamCloses, unwatchClose, watchClose } from "./stream-close.js";

/** A stream-like emitter; `relayed` puts it on a session whose closes are relayed. */
function target(relayed: boolean): EventEmitter & { session: object } {
  const session = {};
  if (relayed) relayStreamCloses(session);
  return Object.assign(new EventEmitter(), { session });
}

describe("watching a stream's close", () => {
  it("goes through the transport's listener where it relays, once, and not after unwatching", () => {
    const stream = target(true);
    const closed: string[] = [];
    watchClose(stream, () => closed.push("call"));
    expect(stream.listenerCount("close")).toBe(0);
    relayClose(stream);
    relayClose(stream);
    expect(closed).toEqual(["call"]);

    const unwatched = target(true);
    const listener = () => closed.push("unwatched");
    watchClose(unwatched, listener);
    unwatchClose(unwatched, listener);
    relayClose(unwatched);
    expect(closed).toEqual(["call"]);
  });

  it("gives a second watcher, and a stream that is not relayed, a listener of their own", () => {
    const relayed = target(true);
    const closed: string[] = [];
    watchClose(relayed, () => closed.push("first"));
    const second = () => closed.push("second");
    watchClose(relayed, second);
    expect(relayed.listenerCount("close")).toBe(1);
    relayClose(relayed);
    relayed.emit("close");
    expect(closed).toEqual(["first", "second"]);
    unwatchClose(relayed, second);
    expect(relayed.listenerCount("close")).toBe(0);

    const plain = target(false);
    const own = () => closed.push("plain");
    watchClose(plain, own);
    relayClose(plain);
    expect(plain.listenerCount("close")).toBe(1);
    plain.emit("close");
    expect(closed).toEqual(["first", "second", "plain"]);
    unwatchClose(plain, own);
    expect(plain.listenerCount("close")).toBe(0);
  });
});

// Over a real port: the gRPC fast path's streams keep the transport's one "close" listener,
// and a client that goes away still reaches the request reader and the running call.
describe("a claimed stream's close over a real port", () => {
  let server: OnePortServer;
  let claimed: http2.ServerHttp2Stream | undefined;
  const started: AbortSignal[] = [];
  const routes = (router: ConnectRouter) =>
    router.service(RouteGuide, {
      async getFeature(_point, context) {
        started.push(context.signal);
        await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
        return {};
      },
    });

  beforeAll(async () => {
    const fastPath = createGrpcFastPath({ routes });
    server = await listenOnePort({
      handler: (_request, response) => {
        response.statusCode = 404;
        response.end();
      },
      claimStream: (stream, headers, rawHeaders) => ((claimed = stream), fastPath(stream, headers, rawHeaders)),
      port: 0,
    });
  });
  afterAll(() => server.close(1_000));

  function call(session: http2.ClientHttp2Session, body: Buffer | undefined): http2.ClientHttp2Stream {
    const request = session.request({ ":method": "POST", ":path": "/routeguide.RouteGuide/GetFeature", "content-type": "application/grpc", te: "trailers" });
    request.on("error", () => {});
    if (body !== undefined) request.end(body);
    return request;
  }

  it("aborts a running call's signal when the client resets the stream", async () => {
    const session = http2.connect(server.url);
    try {
      call(session, envelope(toBinary(PointSchema, create(PointSchema, { latitude: 1, longitude: 2 }))));
      await vi.waitFor(() => expect(started).toHaveLength(1));
      const stream = claimed as http2.ServerHttp2Stream;
      expect(stream.listenerCount("close")).toBe(1);
      session.destroy();
      await vi.waitFor(() => expect(started[0]?.aborted).toBe(true));
      expect(ConnectError.from(started[0]?.reason).code).toBe(Code.Canceled);
    } finally {
      session.destroy();
    }
  });

  it("stops reading a request whose client resets it halfway", async () => {
    const session = http2.connect(server.url);
    try {
      const request = call(session, undefined);
      request.write(Buffer.from([0, 0, 0, 0, 10, 1, 2]));
      await vi.waitFor(() => expect(claimed?.listenerCount("data")).toBe(1));
      const stream = claimed as http2.ServerHttp2Stream;
      expect(stream.listenerCount("close")).toBe(1);
      expect(stream.listenerCount("error")).toBe(1);
      request.close(http2.constants.NGHTTP2_CANCEL);
      await vi.waitFor(() => expect(stream.listenerCount("data")).toBe(0));
    } finally {
      session.destroy();
    }
  });
});

import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { NodeHandler } from "./node-handler.js";
import { relayClose, relayStreamCloses } from "./stream-close.js";
import { untangleSessionStreams } from "./session-stream-tables.js";

/** The first bytes of every HTTP/2 connection with prior knowledge (RFC 9113 §3.4). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");


/** Takes a stream, or returns false to leave it to the request handler. rawHeaders: names and values in turn, as received (Node's "stream" event). */
export type ClaimStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders?: string[]) => boolean;

export interface OnePortServerOptions {
  /** Serves every request, whatever the HTTP version. */
  handler: NodeHandler;
  /**
   * Sees each HTTP/2 stream before Node's compatibility layer turns it into a request for
   * `handler`; returning true claims the stream (it is then served entirely by the caller).
   * Default: none.
   */
  claimStream?: ClaimStream;
  /** Default: "127.0.0.1". */
  host?: string;
  /** Default: 8080. 0 picks a free port (see `port` on the result). */
  port?: number;
  /** A connection that sends nothing for this long before its first request is dropped. Default: 10,000 ms. */
  firstBytesTimeoutMs?: number;
  /**
   * HTTP/1.1: a request whose headers are not complete this long after it began gets 408 and
   * the connection is closed (slow-header "slowloris" clients). HTTP/2: a connection that opens
   * no stream this long after its preface is closed. Default: 10,000 ms.
   */
  headersTimeoutMs?: number;
  /**
   * HTTP/1.1: a request whose body has not fully arrived this long after it began gets 408 and
   * the connection is closed. Only receiving is timed: long response streams are not cut.
   * Default: 30,000 ms.
   */
  requestTimeoutMs?: number;
  /** HTTP/1.1 keep-alive: an idle connection is closed after this long. Default: 5,000 ms (Node's). */
  keepAliveTimeoutMs?: number;
  /** HTTP/2: a connection with no open stream for this long is closed (GOAWAY). Default: 60,000 ms. */
  idleTimeoutMs?: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may open at once on one connection. Default: 250. */
  maxConcurrentStreams?: number;
}

export interface OnePortServer {
  readonly host: string;
  readonly port: number;
  /** "http://host:port". */
  readonly url: string;
  /**
   * Stops accepting connections (new ones are refused), asks HTTP/2 clients to go away
   * (GOAWAY: streams in flight finish, no new ones start), closes HTTP/1.1 connections as
   * soon as they are idle, waits up to `graceMs` (default 10,000) for in-flight requests, then
   * destroys whatever is left.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * One plaintext port for HTTP/1.1 and h2c. Node's http2 server speaks only h2c without TLS,
 * and browsers' fetch speaks HTTP/1.1, so each connection's first bytes decide: the HTTP/2
 * preface goes to an http2 server, anything else to an http server. Each HTTP/2 session's
 * stream tables are swapped for ones that let a finished request's objects die young
 * (session-stream-tables.ts).
 */
export async function listenOnePort(options: OnePortServerOptions): Promise<OnePortServer> {
  const host = options.host ?? "127.0.0.1";
  const firstBytesTimeoutMs = options.firstBytesTimeoutMs ?? 10_000;
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  // Node times only the arrival of the request (headers and body), so long response streams
  // over HTTP/1.1 are not cut; both timeouts are explicit, as requestTimeout 0 would also turn
  // the headers timeout off.
  const http1 = http.createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: Math.max(options.requestTimeoutMs ?? 30_000, headersTimeoutMs),
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
      connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs / 2),
    },
    options.handler,
  );
  const h2c = http2.createServer({ settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 250 } }, options.handler);
  if (options.claimStream) interceptStreams(h2c, options.claimStream);
  closeIdleSessions(h2c, headersTimeoutMs, options.idleTimeoutMs ?? 60_000);
  // An http.Server that never listened never starts its header-timeout checks; this starts them.
  http1.emit("listening");

  const sockets = new Set<net.Socket>();
  let onLastSocketClosed: (() => void) | undefined;
  const sessions = new Set<http2.ServerHttp2Session>();
  h2c.on("session", (session) => {
    untangleSessionStreams(session);
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const listener = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      if (sockets.size === 0) onLastSocketClosed?.();
    });
    // A client resetting the connection before hand-off would otherwise crash the process.
    socket.on("error", () => {});
    detectProtocol(socket, firstBytesTimeoutMs, (isHttp2) =>
      (isHttp2 ? h2c : http1).emit("connection", socket),
    );
  });

  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(options.port ?? 8080, host, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  const port = (listener.address() as net.AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    host,
    port,
    url: `http://${urlHost}:${port}`,
    async close(graceMs = 10_000) {
      const stopped = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const session of sessions) session.close();
      http1.closeIdleConnections();
      // Closing the listener does not touch connections already handed off; wait for them.
      // HTTP/1.1 keep-alive connections turn idle as their responses finish: close them then.
      if (sockets.size > 0) {
        await new Promise<void>((resolve) => {
          const sweep = setInterval(() => http1.closeIdleConnections(), 25);
          const done = () => (clearInterval(sweep), clearTimeout(timer), resolve());
          const timer = setTimeout(done, graceMs);
          onLastSocketClosed = done;
        });
      }
      for (const socket of sockets) socket.destroy();
      http1.close();
      await stopped;
    },
  };
}

/**
 * HTTP/2 has no request-level timeouts in Node: a client could open connections and never use
 * them. Each session must open a stream within `firstStreamMs`, and is closed (GOAWAY) after
 * `idleMs` without an open stream. Stalled streams are each call path's business.
 */
function closeIdleSessions(server: http2.Http2Server, firstStreamMs: number, idleMs: number): void {
  server.on("session", (session) => {
    let open = 0;
    let timer: NodeJS.Timeout | undefined = setTimeout(() => session.close(), firstStreamMs);
    // One listener function per session, shared by its streams: a session holds thousands of
    // long-lived streams, and a closure (and a once-wrapper) each would add up. It is also the
    // stream's only "close" listener on the lean paths: it relays the close to their calls.
    relayStreamCloses(session);
    const onStreamClose = function (this: http2.ServerHttp2Stream) {
      relayClose(this);
      if (--open === 0 && !session.closed && !session.destroyed) timer = setTimeout(() => session.close(), idleMs);
    };
    session.on("stream", (stream) => {
      open++;
      clearTimeout(timer);
      timer = undefined;
      stream.on("close", onStreamClose); // "close" comes once
    });
    session.once("close", () => clearTimeout(timer));
  });
}

/**
 * Node's compatibility layer is itself a "stream" listener (added with the request handler);
 * it is moved behind `claim`, so a claimed stream never gets request/response objects.
 */
function interceptStreams(server: http2.Http2Server, claim: ClaimStream): void {
  const compatibility = server.listeners("stream") as ((...args: unknown[]) => void)[];
  server.removeAllListeners("stream");
  // The event's four arguments by name: a rest parameter would make an array per request.
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
    if (claim(stream, headers, rawHeaders)) return;
    for (const listener of compatibility) listener.call(server, stream, headers, flags, rawHeaders);
  });
}

/**
 * Reads until the bytes either match the whole HTTP/2 preface or differ from it (the preface
 * may arrive split), then puts them back and hands the paused socket over.
 */
function detectProtocol(socket: net.Socket, timeoutMs: number, handOff: (isHttp2: boolean) => void): void {
  let received: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  socket.once("close", () => clearTimeout(timer));
  const onData = (chunk: Buffer) => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const length = Math.min(received.length, HTTP2_PREFACE.length);
    const matchesSoFar = received.compare(HTTP2_PREFACE, 0, length, 0, length) === 0;
    if (matchesSoFar && received.length < HTTP2_PREFACE.length) return;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.pause();
    socket.unshift(received);
    handOff(matchesSoFar);
    // Resuming synchronously would feed the bytes before the new owner is listening.
    process.nextTick(() => socket.resume());
  };
  socket.on("data", onData);
}

import { Code, ConnectError, type ConnectRouter, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { createCallValues } from "./call-values.js";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { constants as http2Constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../limits/message-size.js";
import { createCallLifetime } from "./call-lifetime.js";
import { leanRoutesOf, type LeanRoutes, headersOf, headersOfRaw, type LeanRoute, parseRequest, startCall } from "./lean-routes.js";
import { createLightHeaders } from "./light-headers.js";
import { connectionTransportInfo, type TransportInfo } from "./transport-info.js";
import { createStalledStreamReset } from "./request-body-timeout.js";
import { readOneEnvelope } from "./request-body.js";
import { clampTimeoutHeaders } from "./timeout-clamp.js";
import { encodeGrpcMessage } from "./wire-status.js";
import { hasHeaderMetadata } from "./grpc-trailers-only.js";
import { withUniqueFieldsUnindexed } from "./unique-header-fields.js";
import { deliverByPush, isPushCapable } from "../lib/push-stream.js";
import { flushFrames, writeFrame, writeFrameNow } from "./frame-batch.js";

export interface GrpcFastPathOptions {
  /** The same routes the Connect handler serves; their unary and server-streaming methods are taken here. Needed unless `leanRoutes` is given. */
  routes?(router: ConnectRouter): void;
  /**
   * The routes already collected (collectLeanRoutes), to share one table between the two lean
   * paths: one interceptor chain per method, and a live message fanned out to subscribers of
   * both paths serialized once. Default: collected here from `routes`, `interceptors` and
   * `readMaxBytes`.
   */
  leanRoutes?: LeanRoutes;
  /** The same interceptors, applied in the same order (first is outermost). */
  interceptors?: readonly Interceptor[];
  /** Largest request message in bytes, unless the method was registered with its own; larger ones get RESOURCE_EXHAUSTED. Default: 64 KiB. */
  readMaxBytes?: number;
  /** A request whose body has not ended this long after its headers is reset (a stalled upload holds a stream). Default: 30,000 ms. */
  requestBodyTimeoutMs?: number;
  /** Aborts every call's signal when the server begins to shut down. */
  shutdownSignal?: AbortSignal;
  /** Context values for each call (as connectNodeAdapter's contextValues). Default: empty. */
  contextValues?(info: TransportInfo): ContextValues;
}

/** Claims an HTTP/2 stream (see OnePortServerOptions.claimStream) if it is a gRPC call it serves. */
export type GrpcFastPath = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders?: string[]) => boolean;

/**
 * A leaner path for the commonest calls: unary and server-streaming gRPC over HTTP/2 with
 * protobuf and no compression. It runs the same implementations and interceptors as the
 * Connect handler, but works on Node's HTTP/2 stream directly: no compatibility
 * request/response objects and none of Connect's per-call stream machinery. Everything else
 * (other protocols, HTTP/1.1, client and bidi streams, compression, gRPC with JSON) is left to
 * the Connect handler.
 */
export function createGrpcFastPath(options: GrpcFastPathOptions): GrpcFastPath {
  const routes = leanRoutesOf(options, DEFAULT_MAX_MESSAGE_BYTES);
  const stalls = createStalledStreamReset(options.requestBodyTimeoutMs ?? 30_000);
  return (stream, headers, rawHeaders) => {
    const route = routes.get(headers[":path"] as string);
    if (route === undefined || headers[":method"] !== "POST" || !isPlainGrpc(headers)) return false;
    clampTimeoutHeaders(headers);
    // A stream error after the request is read has nothing left to fail; without a listener it would be thrown.
    stream.on("error", ignoreError);
    stalls.watch(stream);
    const methodKind = route.method.methodKind === "unary" ? "unary" : "server-streaming";
    readOneEnvelope(stream, { readMaxBytes: route.readMaxBytes, methodKind }, (body) => {
      stalls.unwatch(stream);
      if (body.error !== undefined) {
        if (body.error.code === Code.Canceled) return; // the client has gone (or the stall reset it)
        sendStatus(stream, body.error);
        // The status goes out first (frames leave in order); the reset then tells a client still sending to stop.
        if (!stream.readableEnded && !stream.destroyed) stream.close(http2Constants.NGHTTP2_NO_ERROR);
        return;
      }
      let message: unknown;
      try {
        message = parseRequest(route, true, body.bytes);
      } catch (parseError) {
        return sendStatus(stream, parseError as ConnectError);
      }
      // What the call needs of the request's headers, taken now: a live stream lasts for hours,
      // and Node's header object (a dictionary) would be held for as long.
      const head: RequestHead = {
        timeout: headers["grpc-timeout"] as string | undefined,
        url: `http://${headers[":authority"]}${headers[":path"]}`,
        header: rawHeaders === undefined ? headersOf(headers) : headersOfRaw(rawHeaders, headers),
      };
      void serve(route, message, stream, head, options);
    });
    return true;
  };
}

function isPlainGrpc(headers: IncomingHttpHeaders): boolean {
  const contentType = headers["content-type"];
  const encoding = headers["grpc-encoding"];
  return (contentType === "application/grpc" || contentType === "application/grpc+proto") && (encoding === undefined || encoding === "identity");
}

const statusSent = Symbol("fast path status sent");
type Tracked = ServerHttp2Stream & { [statusSent]?: true; [pendingTrailers]?: OutgoingHttpHeaders | undefined };

function ignoreError(): void {}

/** The parts of the request's headers a call uses. */
interface RequestHead {
  timeout: string | undefined;
  url: string;
  header: Headers;
}

/** One call, from the decoded request to the final status; every exit ends the stream. */
async function serve(route: LeanRoute, input: unknown, stream: ServerHttp2Stream, head: RequestHead, options: GrpcFastPathOptions): Promise<void> {
  const timeout = parseTimeout(head.timeout ?? null, Number.MAX_SAFE_INTEGER);
  if (timeout.error) return sendStatus(stream, timeout.error);
  const lifetime = createCallLifetime({
    timeoutMs: timeout.timeoutMs,
    shutdownSignal: options.shutdownSignal,
    connection: stream,
    onDeadline: (error) => sendStatus(stream, error),
  });
  const session = stream.session;
  const { context, response } = startCall(route, {
    protocolName: "grpc",
    requestMethod: "POST",
    url: head.url,
    signal: lifetime.signal,
    timeoutMs: lifetime.timeoutMs,
    requestHeader: head.header,
    contextValues: options.contextValues?.(connectionTransportInfo("2.0", session?.socket, session)) ?? createCallValues(),
    input,
  });
  try {
    const result = await response;
    if (!result.stream) {
      sendUnaryResponse(stream, result.header, result.trailer, route.encoder.frame(result.message));
      return;
    }
    if (isPushCapable(result.message)) {
      // A live stream: each message written as the hub hands it over, no generator between.
      const error = await deliverByPush(result.message, stream, (message) => ended(stream) || sendFrame(stream, result.header, route.frameOf(message, true), writeFrameNow));
      if (error === undefined) sendStatus(stream, undefined, result.trailer, result.header);
      else sendStatus(stream, toStatus(error), context.responseTrailer, context.responseHeader);
      return;
    }
    for await (const message of result.message) {
      if (ended(stream)) break;
      if (!sendFrame(stream, result.header, route.encoder.frame(message as object))) await drained(stream);
    }
    if (!ended(stream)) sendStatus(stream, undefined, result.trailer, result.header);
  } catch (error) {
    sendStatus(stream, toStatus(error), context.responseTrailer, context.responseHeader);
  } finally {
    lifetime.release();
  }
}

/** The interceptors hide handler faults; a fault outside them must not reach the wire either. */
function toStatus(error: unknown): ConnectError {
  return error instanceof ConnectError ? error : new ConnectError("internal server error", Code.Internal, undefined, undefined, error);
}

/** Whether the status was sent or the stream is gone: nothing more can be written. */
function ended(stream: ServerHttp2Stream): boolean {
  return stream.destroyed || stream.closed || (stream as Tracked)[statusSent] === true;
}

/** Resolves when the stream can take more, or is gone. */
function drained(stream: ServerHttp2Stream): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => (stream.off("drain", done), stream.off("close", done), resolve());
    stream.once("drain", done);
    stream.once("close", done);
  });
}

/** Headers, the one message (as its frame) and the OK trailers, in as few writes as HTTP/2 allows. */
function sendUnaryResponse(stream: ServerHttp2Stream, header: Headers, trailer: Headers, frame: Buffer): void {
  if (stream.destroyed || (stream as Tracked)[statusSent]) return;
  (stream as Tracked)[statusSent] = true;
  let trailers = OK_TRAILERS;
  trailer.forEach((value, name) => {
    if (trailers === OK_TRAILERS) trailers = { ...OK_TRAILERS };
    trailers[name] = value;
  });
  (stream as Tracked)[pendingTrailers] = trailers;
  stream.respond(responseHead(header), WAIT_FOR_TRAILERS);
  // One listener function for every stream (`once` would wrap it; the stream emits this once).
  stream.on("wantTrailers", sendPendingTrailers);
  stream.end(frame);
}

/**
 * A response's headers as Node's raw list (name, value, ...), the header metadata after the
 * content type (or in its place): respond() takes a list for less than an object, which it
 * copies into a dictionary and then lists (about 2,500 instructions a unary call;
 * bench/RESULTS.md, "Issue 13, eighth stop").
 */
function responseHead(header: Headers): string[] {
  const head = [":status", "200", "content-type", "application/grpc"];
  header.forEach((value, name) => {
    if (name === "content-type") head[3] = value;
    else head.push(name, value);
  });
  return withUniqueFieldsUnindexed(head);
}

/** respond() only reads its options (Node 24), so every call can share them. */
const WAIT_FOR_TRAILERS = { waitForTrailers: true } as const;

/** sendTrailers copies what it is given, so the common trailers can be one shared object. */
const OK_TRAILERS: OutgoingHttpHeaders = { "grpc-status": "0" };
const pendingTrailers = Symbol("fast path trailers");

function sendPendingTrailers(this: ServerHttp2Stream): void {
  const trailers = (this as Tracked)[pendingTrailers] as OutgoingHttpHeaders;
  (this as Tracked)[pendingTrailers] = undefined;
  this.sendTrailers(trailers);
}

/**
 * Writes one message's frame, sending the response headers first if they are not out yet.
 * Messages written in one burst leave together (frame-batch.ts; a pushed live message by
 * writeFrameNow, at once if it is the stream's first in the burst). Returns false when the
 * stream's buffer is full: wait for "drain".
 */
function sendFrame(stream: ServerHttp2Stream, header: Headers, frame: Buffer, write = writeFrame): boolean {
  if (stream.destroyed || (stream as Tracked)[statusSent]) return true;
  if (!stream.headersSent) stream.respond(responseHead(header), WAIT_FOR_TRAILERS);
  return write(stream, frame);
}

/**
 * Ends the call with its status, once: in trailers after a response or after header metadata,
 * otherwise as a trailers-only response (one HEADERS frame with END_STREAM), as grpc-go answers.
 */
function sendStatus(stream: ServerHttp2Stream, error: ConnectError | undefined, trailer?: Headers, header?: Headers): void {
  if (stream.destroyed || (stream as Tracked)[statusSent]) return;
  (stream as Tracked)[statusSent] = true;
  const status = createLightHeaders();
  trailer?.forEach((value, name) => status.set(name, value));
  if (error === undefined) status.set("grpc-status", "0");
  else {
    setTrailerStatus(status, error);
    status.set("grpc-message", encodeGrpcMessage(error.rawMessage));
  }
  const fields: OutgoingHttpHeaders = {};
  status.forEach((value, name) => (fields[name] = value));
  if (stream.headersSent) {
    flushFrames(stream);
    stream.once("wantTrailers", () => stream.sendTrailers(fields));
    stream.end();
    return;
  }
  const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": "application/grpc" };
  header?.forEach((value, name) => (headers[name] = value));
  withUniqueFieldsUnindexed(headers); // kept by the spread below too
  if (hasHeaderMetadata(headers)) {
    // Header metadata goes out as headers, as grpc-go's server and connect-node send it.
    stream.respond(headers, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers(fields));
    stream.end();
    return;
  }
  stream.respond({ ...headers, ...fields }, { endStream: true });
}

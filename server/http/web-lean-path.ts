import { Code, ConnectError, type ConnectRouter, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { createCallValues } from "./call-values.js";
import { type Compression, compressionNegotiate, mergeNonProtocolHeaders } from "@connectrpc/connect/protocol";
import { parseTimeout as parseConnectTimeout } from "@connectrpc/connect/protocol-connect";
import { parseTimeout as parseGrpcTimeout } from "@connectrpc/connect/protocol-grpc";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { ServerHttp2Stream } from "node:http2";
import type { Readable } from "node:stream";
import { envelope } from "../lib/envelope.js";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../limits/message-size.js";
import { createCallLifetime } from "./call-lifetime.js";
import { CONNECT_END_STREAM_FLAG, connectEndStreamPayload, connectStreamHead, connectUnaryError, connectUnaryHead, parseConnectContentType } from "./connect-framing.js";
import { GRPC_WEB_TRAILER_FLAG, grpcWebHead, grpcWebStatus, grpcWebTrailerPayload, grpcWebTrailersOnly, parseGrpcWebContentType } from "./grpc-web-framing.js";
import { leanRoutesOf, type LeanRoutes, headersOf, headersOfRaw, type LeanRoute, parseRequest, startCall, utf8Encoder } from "./lean-routes.js";
import type { NodeHandler, NodeRequest, NodeResponse } from "./node-handler.js";
import { type BodyResult, readOneEnvelope, readWholeBody } from "./request-body.js";
import { deliverByPush, isPushCapable } from "../lib/push-stream.js";
import { type FrameTarget, joinPending, writeFrame, writeFrameNow } from "./frame-batch.js";
import { http1ChunkWriter } from "./http1-chunks.js";
import { endInBatch, isEndWaiting } from "./http1-end-batch.js";
import type { ClaimStream } from "./one-port-server.js";
import type { CorsPolicy } from "./cors.js";
import { isBase64Message } from "./connect-get-guard.js";
import { createStalledStreamReset } from "./request-body-timeout.js";
import { clampTimeoutHeaders } from "./timeout-clamp.js";
import { connectionTransportInfo, type TransportInfo } from "./transport-info.js";
import { streamResponse, type WebResponse } from "./stream-response.js";

export interface WebLeanPathOptions {
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
  /** Largest request message in bytes, unless the method was registered with its own. Default: 64 KiB. */
  readMaxBytes?: number;
  /** Aborts every call's signal when the server begins to shut down. */
  shutdownSignal?: AbortSignal;
  /** Context values for each call (as connectNodeAdapter's contextValues). Default: empty. */
  contextValues?(transport: TransportInfo): ContextValues;
  /** Response compressions, in the server's order of preference. Default: gzip, br (connect-node's). */
  acceptCompression?: readonly Compression[];
  /** Responses (and stream messages) smaller than this are not compressed. Default: 1,024 (connect's). */
  compressMinBytes?: number;
  /**
   * The HTTP layers' part in calls on bare HTTP/2 streams (`claimStream`), which do not pass
   * through them: CORS headers for allowed origins (cors.ts), and the reset of a request whose
   * body has not ended this long after its headers (request-body-timeout.ts). Defaults: no
   * origin allowed; 30,000 ms.
   */
  cors?: CorsPolicy;
  requestBodyTimeoutMs?: number;
}

export interface WebLeanPath {
  /** Serves the request and returns true if it is a call the lean path takes; false leaves it untouched. */
  handle(request: NodeRequest, response: NodeResponse): boolean;
  /**
   * The same for a bare HTTP/2 stream, before Node's compatibility layer makes a request of it
   * (OnePortServerOptions.claimStream). What the HTTP layers do for the calls it takes is done
   * here: the deadline clamp, CORS, the body timeout, the release of an unread body; a Connect
   * GET the GET guard refuses is left to it.
   */
  claimStream: ClaimStream;
}

/** The three wire forms the lean path speaks to browsers. */
type WebProtocol = "grpc-web" | "connect-unary" | "connect-stream";

/** What the lean path reads of a request: Node's request on either HTTP version, or a bare HTTP/2 stream. */
interface WebRequest {
  method: string | undefined;
  /** The path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** HTTP/2's raw headers, names (lower-case) and values in turn; undefined on HTTP/1.1, whose names are as sent. */
  rawHeaders: string[] | undefined;
  authority: string | undefined;
  body: Readable;
  /** The bare HTTP/2 stream, when this path claimed it: its body's arrival is timed here (no HTTP layer sees it). */
  stream: ServerHttp2Stream | undefined;
  httpVersion: string;
  socket: { remoteAddress?: string; remotePort?: number } | undefined;
  /** The HTTP/2 session or the HTTP/1.1 socket: an identity for per-connection limits. */
  connection: object | undefined;
}

interface WebCall {
  route: LeanRoute;
  protocol: WebProtocol;
  binary: boolean;
  request: WebRequest;
  response: WebResponse;
  /** Response compression agreed with the client, if any. */
  compression: Compression | null;
  compressMinBytes: number;
}

/**
 * The lean path for browsers' protocols: unary and server-streaming calls in gRPC-Web
 * (binary and JSON) and Connect (unary POST and server streams, binary and JSON), on HTTP/1.1
 * and HTTP/2 alike. Like the gRPC fast path, it runs the same implementations and the same
 * interceptors as connect-node, and answers as connect-node (with this server's wire fixes)
 * answers, byte for byte: connect's own serializers, error JSON, end-of-stream and trailer
 * encodings are used. It skips connect-node's per-call machinery: the universal request and
 * response, and the chain of async iterables that frames, compresses and joins each message.
 *
 * Connect GET (connect-web's useHttpGet) is taken too. Everything else is left to connect-node:
 * client and bidi streams, gRPC-Web text, compressed requests, unknown paths and content types.
 */
export function createWebLeanPath(options: WebLeanPathOptions): WebLeanPath {
  const routes = leanRoutesOf(options, DEFAULT_MAX_MESSAGE_BYTES);
  const acceptCompression = [...(options.acceptCompression ?? [compressionGzip, compressionBrotli])];
  const compressMinBytes = options.compressMinBytes ?? 1024;
  const cors = options.cors;
  const stalls = createStalledStreamReset(options.requestBodyTimeoutMs ?? 30_000);

  /** Serves the call and returns true if it is one this path takes; false before any side effect otherwise. */
  const take = (request: WebRequest, response: WebResponse): boolean => {
    const headers = request.headers;
    let route: LeanRoute | undefined;
    let protocol: WebProtocol;
    let binary: boolean;
    /** A GET's message, from its query; undefined for a POST, whose message is its body. */
    let queryMessage: Uint8Array | undefined;
    if (request.method === "GET") {
      const get = parseConnectGet(routes, request.url);
      if (get === undefined) return false;
      ({ route, binary, message: queryMessage } = get);
      protocol = "connect-unary";
    } else if (request.method === "POST") {
      route = routes.get(request.url);
      if (route === undefined) return false;
      const contentType = headers["content-type"];
      const grpcWeb = parseGrpcWebContentType(contentType);
      if (grpcWeb !== undefined) {
        if (!isIdentity(headers["grpc-encoding"])) return false;
        protocol = "grpc-web";
        binary = grpcWeb.binary;
      } else {
        const connect = parseConnectContentType(contentType);
        // A unary content type for a streaming method (or the reverse) is connect-node's 415 to give.
        if (connect === undefined || connect.stream !== (route.method.methodKind === "server_streaming")) return false;
        if (!isIdentity(connect.stream ? headers["connect-content-encoding"] : headers["content-encoding"])) return false;
        protocol = connect.stream ? "connect-stream" : "connect-unary";
        binary = connect.binary;
      }
    } else {
      return false;
    }
    const authority = request.authority;
    if (authority === undefined) return false;

    const accepted = protocol === "grpc-web" ? "grpc-accept-encoding" : protocol === "connect-stream" ? "connect-accept-encoding" : "accept-encoding";
    const compression = compressionNegotiate(acceptCompression, null, (headers[accepted] as string | undefined) ?? null, accepted).response;
    const call: WebCall = { route, protocol, binary, request, response, compression, compressMinBytes };
    const timeout =
      protocol === "grpc-web"
        ? parseGrpcTimeout((headers["grpc-timeout"] as string | undefined) ?? null, Number.MAX_SAFE_INTEGER)
        : parseConnectTimeout((headers["connect-timeout-ms"] as string | undefined) ?? null, Number.MAX_SAFE_INTEGER);
    if (timeout.error) {
      request.body.pause();
      void answerError(call, timeout.error);
      return true;
    }
    const onBody = (body: BodyResult) => {
      if (request.stream !== undefined) stalls.unwatch(request.stream);
      const streaming = route.method.methodKind === "server_streaming";
      let input: unknown;
      if (body.error === undefined) {
        try {
          input = parseRequest(route, binary, body.bytes);
        } catch (error) {
          if (!streaming) return void answerError(call, error as ConnectError);
          input = () => {
            throw error;
          };
        }
      } else if (body.error.code === Code.Canceled) {
        return; // the client has gone: nobody to answer
      } else if (streaming) {
        // connect-node reads a server stream's request inside the interceptors: the error surfaces there.
        const error = body.error;
        input = () => {
          throw error;
        };
      } else {
        return void answerError(call, body.error);
      }
      void serve(call, input, timeout.timeoutMs, `http://${authority}${request.url}`, options);
    };
    if (queryMessage !== undefined) return onBody({ bytes: queryMessage }), true;
    if (request.stream !== undefined) stalls.watch(request.stream);
    if (protocol === "connect-unary") readWholeBody(request.body, headers["content-length"], route.readMaxBytes, onBody);
    else
      readOneEnvelope(
        request.body,
        {
          readMaxBytes: route.readMaxBytes,
          endFlag: protocol === "grpc-web" ? GRPC_WEB_TRAILER_FLAG : CONNECT_END_STREAM_FLAG,
          methodKind: route.method.methodKind === "unary" ? "unary" : "server-streaming",
        },
        onBody,
      );
    return true;
  };

  return {
    handle(request, response) {
      const http2 = "stream" in request;
      return take(
        {
          method: request.method,
          url: request.url as string,
          headers: request.headers,
          rawHeaders: http2 ? request.rawHeaders : undefined,
          authority: http2 ? request.authority : request.headers.host,
          body: request,
          stream: undefined,
          httpVersion: request.httpVersion,
          socket: http2 ? request.stream.session?.socket : request.socket,
          connection: http2 ? request.stream.session : request.socket,
        },
        response as ServerResponse,
      );
    },
    claimStream(stream, headers, rawHeaders) {
      const method = headers[":method"];
      if (method !== "POST" && method !== "GET") return false;
      clampTimeoutHeaders(headers);
      const session = stream.session;
      const request: WebRequest = {
        method,
        url: headers[":path"] as string,
        headers,
        rawHeaders,
        authority: headers[":authority"] ?? headers.host,
        body: stream,
        stream,
        httpVersion: "2.0",
        socket: session?.socket,
        connection: session,
      };
      if (!take(request, streamResponse(stream, cors?.responseHeaders(headers.origin)))) return false;
      // A stream error after the answer has nothing left to fail; without a listener it would be thrown.
      stream.on("error", ignoreError);
      // A GET's body, if it has one, is not read: let it flow to its end.
      if (method === "GET") stream.resume();
      return true;
    },
  };
}

/** The lean path in front of `handler`: calls it does not take go on to `handler`. */
export function withWebLeanPath(handler: NodeHandler, lean: WebLeanPath): NodeHandler {
  return (request, response) => {
    if (!lean.handle(request, response)) handler(request, response);
  };
}

function ignoreError(): void {}

function isIdentity(encoding: string | string[] | null | undefined): boolean {
  return encoding === undefined || encoding === null || encoding === "identity";
}

/**
 * A Connect GET the lean path takes (connect-web's useHttpGet): a unary method marked
 * NO_SIDE_EFFECTS, `encoding` proto or json, no compression; the message from `message`, base64
 * if `base64=1`, read as connect-node reads it. Malformed base64 is left to the GET guard.
 */
function parseConnectGet(routes: LeanRoutes, url: string): { route: LeanRoute; binary: boolean; message: Uint8Array } | undefined {
  const queryStart = url.indexOf("?");
  if (queryStart < 0) return undefined;
  const route = routes.get(url.slice(0, queryStart));
  if (route === undefined || route.method.methodKind !== "unary" || route.method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) return undefined;
  const query = new URLSearchParams(url.slice(queryStart + 1));
  const encoding = query.get("encoding");
  if ((encoding !== "proto" && encoding !== "json") || !isIdentity(query.get("compression"))) return undefined;
  const text = query.get("message") ?? "";
  const isBase64 = query.get("base64") === "1";
  // connect's decoder reads malformed base64 as garbage: the GET guard refuses it (connect-get-guard.ts).
  if (isBase64 && !isBase64Message(text)) return undefined;
  const message = isBase64 ? base64Decode(text) : utf8Encoder.encode(text);
  return { route, binary: encoding === "proto", message };
}

/** One call, from the decoded request to the end of the response. */
async function serve(call: WebCall, input: unknown, timeoutMs: number | undefined, url: string, options: WebLeanPathOptions): Promise<void> {
  const { route, request, response } = call;
  const lifetime = createCallLifetime({
    timeoutMs,
    shutdownSignal: options.shutdownSignal,
    connection: response,
    onDeadline: (error) => void answerError(call, error),
  });
  const { context, response: pending } = startCall(route, {
    protocolName: call.protocol === "grpc-web" ? "grpc-web" : "connect",
    requestMethod: request.method as string,
    url,
    signal: lifetime.signal,
    timeoutMs: lifetime.timeoutMs,
    // HTTP/2's raw header names are lower-case (HTTP/1.1's are as sent): one pass over them.
    requestHeader: request.rawHeaders === undefined ? headersOf(request.headers) : headersOfRaw(request.rawHeaders, request.headers),
    contextValues: options.contextValues?.(connectionTransportInfo(request.httpVersion, request.socket, request.connection)) ?? createCallValues(),
    input,
  });
  try {
    const result = await pending;
    if (call.protocol === "connect-unary") {
      if (!result.stream) await answerConnectUnary(call, 200, result.header, result.trailer, route.encode(result.message, call.binary));
      return;
    }
    if (!result.stream) {
      // A unary method over gRPC-Web: its message and its trailers leave in one write.
      return await endStream(call, result.header, result.trailer, undefined, route.encode(result.message, call.binary));
    } else if (isPushCapable(result.message) && call.compression === null) {
      // A live stream: each message written as the hub hands it over, no generator between.
      // (Compressed calls are read by pull: compression is asynchronous.)
      const error = await deliverByPush(result.message, response, (message) => pushFrame(call, result.header, route.frameOf(message, call.binary)));
      if (error !== undefined) return await answerError(call, toConnectError(error), context.responseHeader, context.responseTrailer);
    } else {
      for await (const message of result.message) {
        if (isEnded(response)) break;
        const full = writeMessage(call, result.header, route.encode(message, call.binary));
        if (full !== undefined) await full;
      }
    }
    await endStream(call, result.header, result.trailer, undefined);
  } catch (error) {
    await answerError(call, toConnectError(error), context.responseHeader, context.responseTrailer);
  } finally {
    lifetime.release();
  }
}

/** The interceptors hide handler faults; a fault outside them must not reach the wire either. */
function toConnectError(error: unknown): ConnectError {
  return error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}

/** Ends the call with an error, in the protocol's form, unless it has already ended. */
async function answerError(call: WebCall, error: ConnectError, header: Headers = new Headers(), trailer: Headers = new Headers()): Promise<void> {
  if (isEnded(call.response)) return;
  if (call.protocol !== "connect-unary") return endStream(call, header, trailer, error);
  // As connect-node: the error's own metadata joins the response headers.
  if (!error.isWireError) mergeNonProtocolHeaders(header, error.metadata);
  const { status, body } = connectUnaryError(error);
  await answerConnectUnary(call, status, header, trailer, body, false);
}

async function answerConnectUnary(call: WebCall, status: number, header: Headers, trailer: Headers, bytes: Uint8Array, binary = call.binary): Promise<void> {
  const { response } = call;
  let body = bytes;
  let encoding: string | undefined;
  if (compresses(call, body)) (body = await call.compression.compress(body)), (encoding = call.compression.name);
  if (isEnded(response)) return;
  response.writeHead(status, connectUnaryHead(binary, header, trailer, body.byteLength, encoding));
  endResponse(call, body);
}

/**
 * Writes one message frame, with the head before the first. Returns a promise to wait for when
 * the response's buffer is full or the frame is being compressed; undefined otherwise, so that
 * an uncompressed stream's messages cost no await each.
 */
function writeMessage(call: WebCall, header: Headers, bytes: Uint8Array): Promise<void> | undefined {
  if (compresses(call, bytes)) {
    return compressedFrame(call, bytes, 0).then((frame) => {
      if (!writeFrameWithHead(call, header, frame)) return drained(call.response);
    });
  }
  return writeFrameWithHead(call, header, envelope(bytes, 0)) ? undefined : drained(call.response);
}

/** Returns false when the response is full (wait for drain). */
function writeFrameWithHead(call: WebCall, header: Headers, frame: Buffer, write = writeFrame): boolean {
  const { response } = call;
  if (isEnded(response)) return true;
  if (!response.headersSent) response.writeHead(200, streamHead(call, header));
  return write(response, frame);
}

/**
 * A live stream's message frame, at once if it is the stream's first in the burst and the
 * fan-out has not outgrown its turn (frame-batch.ts writeFrameNow); on HTTP/1.1 as a chunk
 * straight to the socket once the head is out (http1-chunks.ts).
 */
function pushFrame(call: WebCall, header: Headers, frame: Buffer): boolean {
  return writeFrameWithHead(call, header, frame, call.request.httpVersion === "2.0" ? writeFrameNow : writeHttp1FrameNow);
}

const writeHttp1FrameNow = (target: FrameTarget, frame: Buffer) => writeFrameNow(target, frame, http1ChunkWriter);

/**
 * The last frame (gRPC-Web trailers or Connect's end of stream), after `message` if given (a
 * unary method's one message); or, for a gRPC-Web call with no message and no metadata,
 * trailers-only. Frames still pending leave with it, in the same write.
 */
async function endStream(call: WebCall, header: Headers, trailer: Headers, error: ConnectError | undefined, message?: Uint8Array): Promise<void> {
  const { response } = call;
  if (isEnded(response)) return;
  let payload: Uint8Array;
  let flag: number;
  if (call.protocol === "grpc-web") {
    const status = grpcWebStatus(trailer, error);
    if (!response.headersSent && message === undefined) {
      const trailersOnly = grpcWebTrailersOnly(streamHead(call, header), status);
      if (trailersOnly !== undefined) {
        response.writeHead(200, trailersOnly);
        endResponse(call);
        return;
      }
    }
    (payload = grpcWebTrailerPayload(status)), (flag = GRPC_WEB_TRAILER_FLAG);
  } else {
    (payload = connectEndStreamPayload(trailer, error)), (flag = CONNECT_END_STREAM_FLAG);
  }
  // Uncompressed frames are made at once: no await, so a unary call's end costs no extra turns.
  const last = compresses(call, payload) ? await compressedFrame(call, payload, flag) : envelope(payload, flag);
  const first = message === undefined ? undefined : compresses(call, message) ? await compressedFrame(call, message, 0) : envelope(message, 0);
  if (isEnded(response)) return;
  if (!response.headersSent) response.writeHead(200, streamHead(call, header));
  endResponse(call, joinPending(response, first === undefined ? [last] : [first, last]));
}

/**
 * The response's last write: on HTTP/1.1 with the turn's other ends (http1-end-batch.ts). At
 * once on HTTP/2, whose session writes once a turn anyway, and for an answer given before the
 * request was read to its end (a refusal): the release of the unread rest (unread-body.ts)
 * starts when the answer has been written, and with the answer held to the turn's end the rest
 * was never read and the connection hung (limits.test.ts, "the same connection serves the next
 * call").
 */
function endResponse(call: WebCall, chunk?: Uint8Array): void {
  const { request, response } = call;
  if (request.httpVersion === "2.0" || !(request.body as IncomingMessage).complete) response.end(chunk);
  else endInBatch(response as ServerResponse, chunk);
}

function streamHead(call: WebCall, header: Headers): OutgoingHttpHeaders {
  const encoding = call.compression?.name;
  return call.protocol === "grpc-web" ? grpcWebHead(call.binary, header, encoding) : connectStreamHead(call.binary, header, encoding);
}

/** Whether `payload` goes out compressed: the client accepts a compression and the payload is not small. */
function compresses(call: WebCall, payload: Uint8Array): call is WebCall & { compression: Compression } {
  return call.compression !== null && payload.byteLength >= call.compressMinBytes;
}

/** One envelope, compressed (flag bit 0x01); only for a payload that `compresses`. */
async function compressedFrame(call: WebCall & { compression: Compression }, payload: Uint8Array, flags: number): Promise<Buffer> {
  return envelope(await call.compression.compress(payload), flags | 0b1);
}

/** Whether the response has its end: written, or waiting for the turn's end. */
function isEnded(response: WebResponse): boolean {
  return response.writableEnded || response.destroyed || isEndWaiting(response);
}

function drained(response: WebResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => (response.off("drain", done), response.off("close", done), resolve());
    response.once("drain", done);
    response.once("close", done);
  });
}

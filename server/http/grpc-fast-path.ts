import { create, type DescMessage, type DescMethod, type DescService, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createContextValues,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { constants as http2Constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { envelope } from "../lib/envelope.js";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../limits/message-size.js";
import { createLightHeaders } from "./light-headers.js";
import { type TransportInfo, transportInfo } from "./transport-info.js";
import { createStallSweeper, type StallSweeper } from "./stall-sweeper.js";
import { clampTimeoutHeaders } from "./timeout-clamp.js";
import { encodeGrpcMessage } from "./wire-status.js";
import { hasHeaderMetadata } from "./grpc-trailers-only.js";

export interface GrpcFastPathOptions {
  /** The same routes the Connect handler serves; their unary and server-streaming methods are taken here. */
  routes(router: ConnectRouter): void;
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
export type GrpcFastPath = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean;

type AnyRequest = UnaryRequest | StreamRequest;
type AnyResponse = UnaryResponse | StreamResponse;

interface Route {
  service: DescService;
  method: DescMethod;
  /** This method's own request size limit, if registered with one (router.rpc options). */
  readMaxBytes: number | undefined;
  /** The method's implementation with the interceptors around it. */
  call: (request: AnyRequest) => Promise<AnyResponse>;
}

/** What the innermost call needs that the interceptor request does not carry. */
interface CallState {
  context: HandlerContext;
}

/**
 * A leaner path for the commonest calls: unary and server-streaming gRPC over HTTP/2 with
 * protobuf and no compression. It runs the same implementations and interceptors as the
 * Connect handler, but works on Node's HTTP/2 stream directly: no compatibility
 * request/response objects and none of Connect's per-call stream machinery. Everything else
 * (other protocols, HTTP/1.1, client and bidi streams, compression, gRPC with JSON) is left to
 * the Connect handler.
 */
export function createGrpcFastPath(options: GrpcFastPathOptions): GrpcFastPath {
  const routes = collectRoutes(options.routes, options.interceptors ?? []);
  const defaultReadMaxBytes = options.readMaxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const stalls = createStallSweeper(options.requestBodyTimeoutMs ?? 30_000);
  return (stream, headers) => {
    const route = routes.get(headers[":path"] as string);
    if (route === undefined || headers[":method"] !== "POST" || !isPlainGrpc(headers)) return false;
    clampTimeoutHeaders(headers);
    readRequest(stream, route.readMaxBytes ?? defaultReadMaxBytes, stalls, (error, bytes) => {
      if (error !== undefined) return sendStatus(stream, error);
      let message: unknown;
      try {
        message = fromBinary(route.method.input, bytes as Uint8Array);
      } catch (cause) {
        // Worded as connect-node words it, so both paths answer alike.
        return sendStatus(stream, new ConnectError(`parse binary: ${cause instanceof Error ? cause.message : String(cause)}`, Code.InvalidArgument));
      }
      void serve(route, message, stream, headers, options);
    });
    return true;
  };
}

function isPlainGrpc(headers: IncomingHttpHeaders): boolean {
  const contentType = headers["content-type"];
  const encoding = headers["grpc-encoding"];
  return (contentType === "application/grpc" || contentType === "application/grpc+proto") && (encoding === undefined || encoding === "identity");
}

// Plain symbol-keyed properties rather than WeakMaps: a WeakMap entry per call is costly to
// collect (ephemerons) at tens of thousands of calls a second.
const callState = Symbol("fast path call state");
const statusSent = Symbol("fast path status sent");
type WithState = AnyRequest & { [callState]: CallState };
type Tracked = ServerHttp2Stream & { [statusSent]?: true };

function collectRoutes(register: (router: ConnectRouter) => void, interceptors: readonly Interceptor[]): Map<string, Route> {
  const routes = new Map<string, Route>();
  const add = (method: DescMethod, fn: unknown, self: unknown, readMaxBytes: number | undefined) => {
    if ((method.methodKind !== "unary" && method.methodKind !== "server_streaming") || typeof fn !== "function") return;
    const service = method.parent;
    const implementation = fn.bind(self) as (input: unknown, context: HandlerContext) => unknown;
    const toMessage = (result: unknown) => (isMessage(result, method.output) ? result : create(method.output as DescMessage, result as never));
    const innermost = async (request: AnyRequest): Promise<AnyResponse> => {
      // The request's message, not the one read off the wire: an interceptor may have replaced it.
      const { context } = (request as WithState)[callState];
      const header = context.responseHeader;
      const trailer = context.responseTrailer;
      if (method.methodKind === "unary") {
        return { stream: false, service, method, header, trailer, message: toMessage(await implementation(request.message, context)) } as UnaryResponse;
      }
      const results = implementation(await onlyMessage(request.message as AsyncIterable<unknown>), context) as AsyncIterable<unknown>;
      return { stream: true, service, method, header, trailer, message: mapMessages(results, toMessage) } as StreamResponse;
    };
    const call = [...interceptors].reverse().reduce((next, interceptor) => interceptor(next as never) as never, innermost);
    routes.set(`/${service.typeName}/${method.name}`, { service, method, call, readMaxBytes });
  };
  const recorder = {
    service(service: DescService, impl: Record<string, unknown>, opts?: { readMaxBytes?: number }) {
      for (const method of service.methods) add(method, impl[method.localName], impl, opts?.readMaxBytes);
      return recorder;
    },
    rpc(method: DescMethod, impl: unknown, opts?: { readMaxBytes?: number }) {
      add(method, impl, undefined, opts?.readMaxBytes);
      return recorder;
    },
    handlers: [],
  };
  register(recorder as unknown as ConnectRouter);
  return routes;
}

async function* mapMessages(results: AsyncIterable<unknown>, toMessage: (result: unknown) => unknown): AsyncGenerator<unknown> {
  for await (const result of results) yield toMessage(result);
}

/**
 * Reads the one message of the request: flag byte 0, 4-byte length, bytes; nothing after it.
 * An announced or received size over the limit is refused at once, and the rest of the body
 * is not read (the stream is reset after the status); a body that stalls is reset after
 * `stalls`' timeout. The message is copied into one buffer of its announced size as it arrives, so
 * a million tiny DATA frames cost no more memory than one.
 */
function readRequest(stream: ServerHttp2Stream, readMaxBytes: number, stalls: StallSweeper, done: (error: ConnectError | undefined, message?: Uint8Array) => void): void {
  const prefix = Buffer.alloc(5);
  let message: Buffer | undefined;
  let received = 0;
  let finished = false;
  const finish = (error: ConnectError | undefined, bytes?: Uint8Array) => {
    if (finished) return;
    finished = true;
    unwatch();
    stream.off("data", onData);
    done(error, bytes);
  };
  const refuse = (error: ConnectError) => {
    finish(error);
    // The status goes out first (frames leave in order); the reset then tells the client to stop sending.
    if (!stream.destroyed) stream.close(http2Constants.NGHTTP2_NO_ERROR);
  };
  const unwatch = stalls.watch(() => {
    finished = true;
    stream.off("data", onData);
    if (!stream.destroyed) stream.close(http2Constants.NGHTTP2_CANCEL);
  });
  const onData = (chunk: Buffer) => {
    let offset = 0;
    if (received < 5) {
      offset = Math.min(5 - received, chunk.length);
      chunk.copy(prefix, received, 0, offset);
      received += offset;
      if (received < 5) return;
      const length = prefix.readUInt32BE(1);
      if (length > readMaxBytes) return refuse(new ConnectError(`message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted));
      message = Buffer.allocUnsafe(length);
    }
    const body = message as Buffer;
    const rest = chunk.length - offset;
    if (received - 5 + rest > body.length) {
      // More than the announced message: a second message, which a unary request may not have.
      return refuse(new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented));
    }
    chunk.copy(body, received - 5, offset);
    received += rest;
  };
  stream.on("data", onData);
  stream.once("end", () => {
    if (finished) return;
    if (received === 0) return finish(new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented));
    if (received < 5 || received - 5 < (message as Buffer).length) return finish(new ConnectError("protocol error: premature end of stream", Code.InvalidArgument));
    // Worded as connect-node words it; the caller's fault, so INVALID_ARGUMENT (wire-status.ts).
    if ((prefix[0] as number) & 0b1) return finish(new ConnectError("received compressed envelope, but do not know how to decompress", Code.InvalidArgument));
    finish(undefined, message);
  });
  stream.on("error", () => finish(new ConnectError("operation was canceled", Code.Canceled)));
}

/** One call, from the decoded request to the final status; every exit ends the stream. */
async function serve(route: Route, input: unknown, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, options: GrpcFastPathOptions): Promise<void> {
  const timeout = parseTimeout((headers["grpc-timeout"] as string | undefined) ?? null, Number.MAX_SAFE_INTEGER);
  if (timeout.error) return sendStatus(stream, timeout.error);
  const call = createCallLifetime(stream, timeout.timeoutMs, options.shutdownSignal);
  const requestHeader = headersOf(headers);
  const session = stream.session;
  const contextValues = options.contextValues?.(transportInfo("2.0", session?.socket, session)) ?? createContextValues();
  const url = `http://${headers[":authority"]}${headers[":path"]}`;
  const context: HandlerContext = {
    service: route.service,
    method: route.method,
    protocolName: "grpc",
    requestMethod: "POST",
    url,
    signal: call.signal,
    timeoutMs: call.timeoutMs,
    requestHeader,
    responseHeader: createLightHeaders(),
    responseTrailer: createLightHeaders(),
    values: contextValues,
  };
  const streaming = route.method.methodKind === "server_streaming";
  const request = {
    stream: streaming,
    service: route.service,
    method: route.method,
    requestMethod: "POST",
    url,
    signal: call.signal,
    header: requestHeader,
    contextValues,
    message: streaming ? singleMessage(input) : input,
  } as AnyRequest;
  (request as WithState)[callState] = { context };
  try {
    const response = await route.call(request);
    if (!response.stream) {
      sendUnaryResponse(stream, response.header, response.trailer, toBinary(route.method.output, response.message as never));
      return;
    }
    for await (const message of response.message) {
      if (call.ended()) break;
      if (!sendMessage(stream, response.header, toBinary(route.method.output, message as never))) await call.drained();
    }
    if (!call.ended()) sendStatus(stream, undefined, response.trailer, response.header);
  } catch (error) {
    // The interceptors hide handler faults; a fault outside them must not reach the wire either.
    const status = error instanceof ConnectError ? error : new ConnectError("internal server error", Code.Internal, undefined, undefined, error);
    sendStatus(stream, status, context.responseTrailer, context.responseHeader);
  } finally {
    call.release();
  }
}

async function* singleMessage(message: unknown): AsyncGenerator<unknown> {
  yield message;
}

async function onlyMessage(messages: AsyncIterable<unknown>): Promise<unknown> {
  for await (const message of messages) return message;
  throw new ConnectError("protocol error: missing request message", Code.InvalidArgument);
}

/**
 * The call's signal, aborted by the deadline (which also answers DEADLINE_EXCEEDED at once),
 * by the client going away, or by the server shutting down.
 */
function createCallLifetime(stream: ServerHttp2Stream, timeoutMs: number | undefined, shutdownSignal: AbortSignal | undefined) {
  const controller = new AbortController();
  const abort = (reason: ConnectError) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onShutdown = () => abort(ConnectError.from(shutdownSignal?.reason, Code.Unavailable));
  const onClose = () => abort(new ConnectError("operation was canceled", Code.Canceled));
  // Whole milliseconds, as connect-node keeps its deadline (a Date): a grpc-timeout in micro- or
  // nanoseconds (Go clients send "u") must not reach handlers as a fraction from timeoutMs().
  const deadlineAt = timeoutMs === undefined ? undefined : Math.trunc(Date.now() + timeoutMs);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          const error = new ConnectError("the operation timed out", Code.DeadlineExceeded);
          abort(error);
          sendStatus(stream, error);
        }, timeoutMs);
  shutdownSignal?.addEventListener("abort", onShutdown);
  if (shutdownSignal?.aborted) onShutdown();
  stream.once("close", onClose);
  return {
    signal: controller.signal,
    timeoutMs: () => (deadlineAt === undefined ? undefined : deadlineAt - Date.now()),
    /** Whether the status was sent or the stream is gone: nothing more can be written. */
    ended: () => stream.destroyed || stream.closed || (stream as Tracked)[statusSent] === true,
    /** Resolves when the stream can take more, or is gone. */
    drained: () =>
      new Promise<void>((resolve) => {
        const done = () => (stream.off("drain", done), stream.off("close", done), resolve());
        stream.once("drain", done);
        stream.once("close", done);
      }),
    release() {
      clearTimeout(timer);
      shutdownSignal?.removeEventListener("abort", onShutdown);
      stream.removeListener("close", onClose);
    },
  };
}

function headersOf(headers: IncomingHttpHeaders): Headers {
  const header = createLightHeaders();
  for (const name in headers) {
    const value = headers[name];
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) header.append(name, item);
    else header.set(name, value);
  }
  return header;
}


/** Headers, the one message and the OK trailers, in as few writes as HTTP/2 allows. */
function sendUnaryResponse(stream: ServerHttp2Stream, header: Headers, trailer: Headers, bytes: Uint8Array): void {
  if (stream.destroyed || (stream as Tracked)[statusSent]) return;
  (stream as Tracked)[statusSent] = true;
  const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": "application/grpc" };
  header.forEach((value, name) => (headers[name] = value));
  const trailers: OutgoingHttpHeaders = { "grpc-status": "0" };
  trailer.forEach((value, name) => (trailers[name] = value));
  stream.respond(headers, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers(trailers));
  stream.end(envelope(bytes));
}

/**
 * Writes one message, sending the response headers first if they are not out yet. Messages
 * written in the same tick go out together (cork until the next tick). Returns false when the
 * stream's buffer is full: wait for "drain".
 */
function sendMessage(stream: ServerHttp2Stream, header: Headers, bytes: Uint8Array): boolean {
  if (stream.destroyed || (stream as Tracked)[statusSent]) return true;
  if (!stream.headersSent) {
    const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": "application/grpc" };
    header.forEach((value, name) => (headers[name] = value));
    stream.respond(headers, { waitForTrailers: true });
  }
  if (stream.writableCorked === 0) {
    stream.cork();
    process.nextTick(() => stream.uncork());
  }
  return stream.write(envelope(bytes));
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
    stream.once("wantTrailers", () => stream.sendTrailers(fields));
    stream.end();
    return;
  }
  const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": "application/grpc" };
  header?.forEach((value, name) => (headers[name] = value));
  if (hasHeaderMetadata(headers)) {
    // Header metadata goes out as headers, as grpc-go's server and connect-node send it.
    stream.respond(headers, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers(fields));
    stream.end();
    return;
  }
  stream.respond({ ...headers, ...fields }, { endStream: true });
}

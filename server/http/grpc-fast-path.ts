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
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { createLightHeaders } from "./light-headers.js";
import { encodeGrpcMessage } from "./wire-status.js";

/** What the HTTP layer knows of a claimed stream, for context values. */
export interface StreamInfo {
  httpVersion: "2.0";
  remoteAddress: string | undefined;
  remotePort: number | undefined;
}

export interface GrpcFastPathOptions {
  /** The same routes the Connect handler serves; their unary and server-streaming methods are taken here. */
  routes(router: ConnectRouter): void;
  /** The same interceptors, applied in the same order (first is outermost). */
  interceptors?: readonly Interceptor[];
  /** Largest request message in bytes; larger ones get RESOURCE_EXHAUSTED. Default: 4 MiB. */
  readMaxBytes?: number;
  /** Aborts every call's signal when the server begins to shut down. */
  shutdownSignal?: AbortSignal;
  /** Context values for each call (as connectNodeAdapter's contextValues). Default: empty. */
  contextValues?(info: StreamInfo): ContextValues;
}

/** Claims an HTTP/2 stream (see OnePortServerOptions.claimStream) if it is a gRPC call it serves. */
export type GrpcFastPath = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean;

type AnyRequest = UnaryRequest | StreamRequest;
type AnyResponse = UnaryResponse | StreamResponse;

interface Route {
  service: DescService;
  method: DescMethod;
  /** The method's implementation with the interceptors around it. */
  call: (request: AnyRequest) => Promise<AnyResponse>;
}

/** What the innermost call needs that the interceptor request does not carry. */
interface CallState {
  context: HandlerContext;
  input: unknown;
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
  const readMaxBytes = options.readMaxBytes ?? 4 * 1024 * 1024;
  return (stream, headers) => {
    const route = routes.get(headers[":path"] as string);
    if (route === undefined || headers[":method"] !== "POST" || !isPlainGrpc(headers)) return false;
    readRequest(stream, readMaxBytes, (error, bytes) => {
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
  const recorder = {
    service(service: DescService, impl: Record<string, unknown>) {
      for (const method of service.methods) {
        const fn = impl[method.localName];
        if ((method.methodKind !== "unary" && method.methodKind !== "server_streaming") || typeof fn !== "function") continue;
        const implementation = fn.bind(impl) as (input: unknown, context: HandlerContext) => unknown;
        const toMessage = (result: unknown) => (isMessage(result, method.output) ? result : create(method.output as DescMessage, result as never));
        const innermost = async (request: AnyRequest): Promise<AnyResponse> => {
          const { context, input } = (request as WithState)[callState];
          const header = context.responseHeader;
          const trailer = context.responseTrailer;
          if (method.methodKind === "unary") {
            return { stream: false, service, method, header, trailer, message: toMessage(await implementation(input, context)) } as UnaryResponse;
          }
          const results = implementation(input, context) as AsyncIterable<unknown>;
          return { stream: true, service, method, header, trailer, message: mapMessages(results, toMessage) } as StreamResponse;
        };
        const call = [...interceptors].reverse().reduce((next, interceptor) => interceptor(next as never) as never, innermost);
        routes.set(`/${service.typeName}/${method.name}`, { service, method, call });
      }
      return recorder;
    },
    rpc: () => recorder,
    handlers: [],
  };
  register(recorder as unknown as ConnectRouter);
  return routes;
}

async function* mapMessages(results: AsyncIterable<unknown>, toMessage: (result: unknown) => unknown): AsyncGenerator<unknown> {
  for await (const result of results) yield toMessage(result);
}

/** Reads the one message of the request: flag byte 0, 4-byte length, bytes; nothing after it. */
function readRequest(stream: ServerHttp2Stream, readMaxBytes: number, done: (error: ConnectError | undefined, message?: Uint8Array) => void): void {
  const chunks: Buffer[] = [];
  let received = 0;
  stream.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received <= readMaxBytes + 5) chunks.push(chunk);
  });
  stream.once("end", () => {
    if (received > readMaxBytes + 5) return done(new ConnectError(`message size is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted));
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    if (body.length === 0) return done(new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented));
    if (body.length < 5) return done(new ConnectError("protocol error: premature end of stream", Code.InvalidArgument));
    if ((body[0] as number) & 0b1) return done(new ConnectError("protocol error: received compressed message without grpc-encoding", Code.Internal));
    const length = body.readUInt32BE(1);
    if (length > readMaxBytes) return done(new ConnectError(`message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted));
    if (body.length < 5 + length) return done(new ConnectError("protocol error: premature end of stream", Code.InvalidArgument));
    if (body.length > 5 + length) return done(new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented));
    done(undefined, body.subarray(5, 5 + length));
  });
  stream.on("error", () => {});
}

/** One call, from the decoded request to the final status; every exit ends the stream. */
async function serve(route: Route, input: unknown, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, options: GrpcFastPathOptions): Promise<void> {
  const timeout = parseTimeout((headers["grpc-timeout"] as string | undefined) ?? null, Number.MAX_SAFE_INTEGER);
  if (timeout.error) return sendStatus(stream, timeout.error);
  const call = createCallLifetime(stream, timeout.timeoutMs, options.shutdownSignal);
  const requestHeader = headersOf(headers);
  const socket = stream.session?.socket;
  const contextValues = options.contextValues?.({ httpVersion: "2.0", remoteAddress: socket?.remoteAddress, remotePort: socket?.remotePort }) ?? createContextValues();
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
  (request as WithState)[callState] = { context, input };
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
    if (!call.ended()) sendStatus(stream, undefined, response.trailer);
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
  const deadlineAt = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
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


function frameOf(bytes: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + bytes.length);
  frame[0] = 0;
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, 5);
  return frame;
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
  stream.end(frameOf(bytes));
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
  return stream.write(frameOf(bytes));
}

/**
 * Ends the call with its status, once: in trailers after a response, or as a trailers-only
 * response (one HEADERS frame with END_STREAM), as gRPC servers answer errors.
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
  stream.respond({ ...headers, ...fields }, { endStream: true });
}

import { create, type DescMessage, type DescMethodUnary, type DescService, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createContextValues,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { encodeGrpcMessage } from "./wire-status.js";

type UnaryImpl = (request: unknown, context: HandlerContext) => unknown;

/** What the HTTP layer knows of a claimed stream, for context values. */
export interface StreamInfo {
  httpVersion: "2.0";
  remoteAddress: string | undefined;
  remotePort: number | undefined;
}

export interface GrpcUnaryFastPathOptions {
  /** The same routes the Connect handler serves; only their unary methods are taken here. */
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

/** Claims an HTTP/2 stream (see OnePortServerOptions.claimStream) if it is a unary gRPC call it serves. */
export type GrpcUnaryFastPath = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean;

interface Route {
  service: DescService;
  method: DescMethodUnary;
  /** The method's implementation with the interceptors around it. */
  call: (request: UnaryRequest) => Promise<UnaryResponse>;
}

/**
 * A leaner path for the commonest call of all: unary gRPC over HTTP/2 with protobuf and no
 * compression. It runs the same implementations and interceptors as the Connect handler, but
 * works on Node's HTTP/2 stream directly: no compatibility request/response objects and none
 * of Connect's per-call stream machinery. Everything else (other protocols, HTTP/1.1,
 * streaming methods, compression, gRPC with JSON) is left to the Connect handler.
 */
export function createGrpcUnaryFastPath(options: GrpcUnaryFastPathOptions): GrpcUnaryFastPath {
  const routes = collectUnaryRoutes(options.routes, options.interceptors ?? []);
  const readMaxBytes = options.readMaxBytes ?? 4 * 1024 * 1024;
  return (stream, headers) => {
    const route = routes.get(headers[":path"] as string);
    if (route === undefined || headers[":method"] !== "POST" || !isPlainGrpc(headers)) return false;
    readRequest(stream, readMaxBytes, (error, bytes) => {
      if (error !== undefined) return sendError(stream, error);
      let message: unknown;
      try {
        message = fromBinary(route.method.input, bytes as Uint8Array);
      } catch (cause) {
        // Worded as connect-node words it, so both paths answer alike.
        return sendError(stream, new ConnectError(`parse binary: ${cause instanceof Error ? cause.message : String(cause)}`, Code.InvalidArgument));
      }
      void handle(route, message, stream, headers, options);
    });
    return true;
  };
}

function isPlainGrpc(headers: IncomingHttpHeaders): boolean {
  const contentType = headers["content-type"];
  const encoding = headers["grpc-encoding"];
  return (contentType === "application/grpc" || contentType === "application/grpc+proto") && (encoding === undefined || encoding === "identity");
}

function collectUnaryRoutes(register: (router: ConnectRouter) => void, interceptors: readonly Interceptor[]): Map<string, Route> {
  const routes = new Map<string, Route>();
  const recorder = {
    service(service: DescService, impl: Record<string, unknown>) {
      for (const method of service.methods) {
        if (method.methodKind !== "unary") continue;
        const fn = impl[method.localName];
        if (typeof fn !== "function") continue;
        const implementation = fn.bind(impl) as UnaryImpl;
        const innermost = async (request: UnaryRequest): Promise<UnaryResponse> => {
          const context = contextOf(request);
          const result = await implementation(request.message, context);
          const message = isMessage(result, method.output) ? result : create(method.output as DescMessage, result as never);
          return { stream: false, service, method, header: context.responseHeader, trailer: context.responseTrailer, message } as UnaryResponse;
        };
        const call = [...interceptors].reverse().reduce((next, interceptor) => interceptor(next as never) as never, innermost);
        routes.set(`/${service.typeName}/${method.name}`, { service, method: method as DescMethodUnary, call });
      }
      return recorder;
    },
    rpc: () => recorder,
    handlers: [],
  };
  register(recorder as unknown as ConnectRouter);
  return routes;
}

/** The handler context travels with the request through the interceptors. */
const contexts = new WeakMap<UnaryRequest, HandlerContext>();
function contextOf(request: UnaryRequest): HandlerContext {
  const context = contexts.get(request);
  if (context === undefined) throw new Error("fast path: request without a handler context");
  return context;
}

/** Reads the one message of a unary request: flag byte 0, 4-byte length, bytes; nothing after it. */
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

async function handle(route: Route, message: unknown, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, options: GrpcUnaryFastPathOptions): Promise<void> {
  const timeout = parseTimeout((headers["grpc-timeout"] as string | undefined) ?? null, Number.MAX_SAFE_INTEGER);
  if (timeout.error) return sendError(stream, timeout.error);
  const controller = new AbortController();
  const abort = (reason: ConnectError) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onShutdown = () => abort(ConnectError.from(options.shutdownSignal?.reason, Code.Unavailable));
  const onClose = () => abort(new ConnectError("operation was canceled", Code.Canceled));
  let timer: NodeJS.Timeout | undefined;
  if (timeout.timeoutMs !== undefined) {
    timer = setTimeout(() => {
      abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
      sendError(stream, controller.signal.reason as ConnectError);
    }, timeout.timeoutMs);
  }
  options.shutdownSignal?.addEventListener("abort", onShutdown);
  if (options.shutdownSignal?.aborted) onShutdown();
  stream.once("close", onClose);

  const deadlineAt = timeout.timeoutMs === undefined ? undefined : Date.now() + timeout.timeoutMs;
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
    signal: controller.signal,
    timeoutMs: () => (deadlineAt === undefined ? undefined : deadlineAt - Date.now()),
    requestHeader,
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
    values: contextValues,
  };
  const request = { stream: false, service: route.service, method: route.method, requestMethod: "POST", url, signal: controller.signal, header: requestHeader, contextValues, message } as UnaryRequest;
  contexts.set(request, context);
  try {
    const result = await route.call(request);
    sendMessage(stream, result, toBinary(route.method.output, result.message as never));
  } catch (error) {
    // The interceptors hide handler faults; a fault outside them must not reach the wire either.
    const status = error instanceof ConnectError ? error : new ConnectError("internal server error", Code.Internal, undefined, undefined, error);
    sendError(stream, status, context.responseHeader, context.responseTrailer);
  } finally {
    clearTimeout(timer);
    options.shutdownSignal?.removeEventListener("abort", onShutdown);
    stream.removeListener("close", onClose);
  }
}

function headersOf(headers: IncomingHttpHeaders): Headers {
  const header = new Headers();
  for (const name in headers) {
    const value = headers[name];
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) header.append(name, item);
    else header.set(name, value);
  }
  return header;
}

function sendMessage(stream: ServerHttp2Stream, result: UnaryResponse, bytes: Uint8Array): void {
  if (stream.headersSent || stream.destroyed) return;
  const frame = Buffer.allocUnsafe(5 + bytes.length);
  frame[0] = 0;
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, 5);
  const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": "application/grpc" };
  result.header.forEach((value, name) => (headers[name] = value));
  const trailers: OutgoingHttpHeaders = { "grpc-status": "0" };
  result.trailer.forEach((value, name) => (trailers[name] = value));
  stream.respond(headers, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers(trailers));
  stream.end(frame);
}

/** A trailers-only response: the status in one HEADERS frame with END_STREAM, as gRPC servers answer errors. */
function sendError(stream: ServerHttp2Stream, error: ConnectError, header?: Headers, trailer?: Headers): void {
  if (stream.headersSent || stream.destroyed) return;
  const status = new Headers(header);
  trailer?.forEach((value, name) => status.set(name, value));
  setTrailerStatus(status, error);
  status.set("grpc-message", encodeGrpcMessage(error.rawMessage));
  const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": "application/grpc" };
  status.forEach((value, name) => (headers[name] = value));
  stream.respond(headers, { endStream: true });
}

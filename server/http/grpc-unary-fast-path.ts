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
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse, OutgoingHttpHeaders } from "node:http2";
import { encodeGrpcMessage } from "./wire-status.js";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;
type Handler = (request: Request, response: Response) => void;
type UnaryImpl = (request: unknown, context: HandlerContext) => unknown;

export interface GrpcUnaryFastPathOptions {
  /** The same routes the Connect handler serves; only their unary methods are taken here. */
  routes(router: ConnectRouter): void;
  /** The same interceptors, applied in the same order (first is outermost). */
  interceptors?: readonly Interceptor[];
  /** Largest request message in bytes; larger ones get RESOURCE_EXHAUSTED. Default: 4 MiB. */
  readMaxBytes?: number;
  /** Aborts every call's signal when the server begins to shut down. */
  shutdownSignal?: AbortSignal;
  /** Context values for each call (as connectNodeAdapter's contextValues). */
  contextValues?(request: Request): ContextValues;
}

interface Route {
  service: DescService;
  method: DescMethodUnary;
  impl: UnaryImpl;
  /** The interceptors wrapped around this method's implementation. */
  call: (request: UnaryRequest) => Promise<UnaryResponse>;
}

/**
 * A leaner path for the commonest call of all: unary gRPC over HTTP/2 with protobuf and no
 * compression. It runs the same implementations and interceptors as the Connect handler, but
 * reads the single request frame straight from the HTTP/2 stream and writes the reply
 * directly, without Connect's per-call stream and async-iterable machinery. Everything else
 * (other protocols, HTTP/1.1, streams, compression, JSON codecs) goes to `fallback`.
 */
export function withGrpcUnaryFastPath(options: GrpcUnaryFastPathOptions, fallback: Handler): Handler {
  const routes = collectUnaryRoutes(options);
  const readMaxBytes = options.readMaxBytes ?? 4 * 1024 * 1024;

  return (request, response) => {
    const route = request.httpVersionMajor === 2 ? routes.get(request.url ?? "") : undefined;
    if (route === undefined || request.method !== "POST" || !isPlainGrpc(request.headers)) return fallback(request, response);
    serveUnary(route, request as Http2ServerRequest, response as Http2ServerResponse, options, readMaxBytes);
  };
}

function isPlainGrpc(headers: Request["headers"]): boolean {
  const contentType = headers["content-type"];
  const encoding = headers["grpc-encoding"];
  return (contentType === "application/grpc" || contentType === "application/grpc+proto") && (encoding === undefined || encoding === "identity");
}

function collectUnaryRoutes(options: GrpcUnaryFastPathOptions): Map<string, Route> {
  const routes = new Map<string, Route>();
  const interceptors = options.interceptors ?? [];
  const recorder = {
    service(service: DescService, impl: Record<string, unknown>) {
      for (const method of service.methods) {
        if (method.methodKind !== "unary") continue;
        const fn = impl[method.localName];
        if (typeof fn !== "function") continue;
        const route: Route = { service, method: method as DescMethodUnary, impl: fn.bind(impl) as UnaryImpl, call: undefined as never };
        const innermost = async (request: UnaryRequest): Promise<UnaryResponse> => {
          const context = contextOf(request);
          const result = await route.impl(request.message, context);
          const message = isMessage(result, method.output) ? result : create(method.output as DescMessage, result as never);
          return { stream: false, service, method, header: context.responseHeader, trailer: context.responseTrailer, message } as UnaryResponse;
        };
        route.call = [...interceptors].reverse().reduce((next, interceptor) => interceptor(next as never) as never, innermost);
        routes.set(`/${service.typeName}/${method.name}`, route);
      }
      return recorder;
    },
    rpc() {
      return recorder;
    },
    handlers: [],
  };
  options.routes(recorder as unknown as ConnectRouter);
  return routes;
}

/** The handler context travels with the request through the interceptors. */
const contexts = new WeakMap<UnaryRequest, HandlerContext>();
function contextOf(request: UnaryRequest): HandlerContext {
  const context = contexts.get(request);
  if (context === undefined) throw new Error("fast path: request without a handler context");
  return context;
}

function serveUnary(route: Route, request: Http2ServerRequest, response: Http2ServerResponse, options: GrpcUnaryFastPathOptions, readMaxBytes: number): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let tooLarge = false;
  request.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > readMaxBytes + 5) tooLarge = true;
    else chunks.push(chunk);
  });
  request.on("end", () => {
    if (tooLarge) return sendError(response, new ConnectError(`message size is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted));
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    let message: unknown;
    try {
      const bytes = readSingleFrame(body, readMaxBytes);
      try {
        message = fromBinary(route.method.input, bytes);
      } catch (error) {
        // Worded as connect-node words it, so both paths answer alike.
        throw new ConnectError(`parse binary: ${error instanceof Error ? error.message : String(error)}`, Code.InvalidArgument);
      }
    } catch (error) {
      return sendError(response, ConnectError.from(error, Code.InvalidArgument));
    }
    void handle(route, message, request, response, options);
  });
}

/** The one message of a unary request: flag byte 0, 4-byte length, bytes; nothing after it. */
function readSingleFrame(body: Buffer, readMaxBytes: number): Uint8Array {
  if (body.length === 0) throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  if (body.length < 5) throw new ConnectError("protocol error: premature end of stream", Code.InvalidArgument);
  if ((body[0] as number) & 0b1) throw new ConnectError("protocol error: received compressed message without grpc-encoding", Code.Internal);
  const length = body.readUInt32BE(1);
  if (length > readMaxBytes) throw new ConnectError(`message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
  if (body.length < 5 + length) throw new ConnectError("protocol error: premature end of stream", Code.InvalidArgument);
  if (body.length > 5 + length) throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  return body.subarray(5, 5 + length);
}

async function handle(route: Route, message: unknown, request: Http2ServerRequest, response: Http2ServerResponse, options: GrpcUnaryFastPathOptions): Promise<void> {
  const timeout = parseTimeout(request.headers["grpc-timeout"] as string | undefined ?? null, Number.MAX_SAFE_INTEGER);
  if (timeout.error) return sendError(response, timeout.error);
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
      sendError(response, controller.signal.reason as ConnectError);
    }, timeout.timeoutMs);
  }
  options.shutdownSignal?.addEventListener("abort", onShutdown);
  if (options.shutdownSignal?.aborted) onShutdown();
  response.stream.once("close", onClose);

  const deadlineAt = timeout.timeoutMs === undefined ? undefined : Date.now() + timeout.timeoutMs;
  const header = headersOf(request);
  const contextValues = options.contextValues?.(request) ?? createContextValues();
  const url = `http://${request.authority}${request.url}`;
  const context: HandlerContext = {
    service: route.service,
    method: route.method,
    protocolName: "grpc",
    requestMethod: "POST",
    url,
    signal: controller.signal,
    timeoutMs: () => (deadlineAt === undefined ? undefined : deadlineAt - Date.now()),
    requestHeader: header,
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
    values: contextValues,
  };
  const unaryRequest = {
    stream: false,
    service: route.service,
    method: route.method,
    requestMethod: "POST",
    url,
    signal: controller.signal,
    header,
    contextValues,
    message,
  } as UnaryRequest;
  contexts.set(unaryRequest, context);
  try {
    const result = await route.call(unaryRequest);
    sendMessage(response, result, toBinary(route.method.output, result.message as never));
  } catch (error) {
    // The interceptors hide handler faults; a fault outside them must not reach the wire either.
    const status = error instanceof ConnectError ? error : new ConnectError("internal server error", Code.Internal, undefined, undefined, error);
    sendError(response, status, context.responseHeader, context.responseTrailer);
  } finally {
    clearTimeout(timer);
    options.shutdownSignal?.removeEventListener("abort", onShutdown);
    response.stream.removeListener("close", onClose);
  }
}

function headersOf(request: Http2ServerRequest): Headers {
  const header = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) header.append(name, item);
    else header.set(name, value);
  }
  return header;
}

function sendMessage(response: Http2ServerResponse, result: UnaryResponse, bytes: Uint8Array): void {
  if (response.stream.headersSent || response.stream.destroyed) return;
  const frame = Buffer.allocUnsafe(5 + bytes.length);
  frame[0] = 0;
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, 5);
  const headers: OutgoingHttpHeaders = { "content-type": "application/grpc" };
  result.header.forEach((value, name) => (headers[name] = value));
  const trailers: OutgoingHttpHeaders = { "grpc-status": "0" };
  result.trailer.forEach((value, name) => (trailers[name] = value));
  response.writeHead(200, headers);
  response.addTrailers(trailers);
  response.end(frame);
}

/**
 * A trailers-only response: the status in one HEADERS frame with END_STREAM, as gRPC servers
 * answer errors. Written to the HTTP/2 stream itself: the compatibility response cannot.
 */
function sendError(response: Http2ServerResponse, error: ConnectError, header?: Headers, trailer?: Headers): void {
  const stream = response.stream;
  if (stream.headersSent || stream.destroyed) return;
  const status = new Headers(header);
  trailer?.forEach((value, name) => status.set(name, value));
  setTrailerStatus(status, error);
  status.set("grpc-message", encodeGrpcMessage(error.rawMessage));
  const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": "application/grpc" };
  status.forEach((value, name) => (headers[name] = value));
  stream.respond(headers, { endStream: true });
}

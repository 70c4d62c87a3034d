import { create, type DescMessage, type DescMethod, type DescService, isMessage } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { createMethodSerializationLookup, type MethodSerializationLookup } from "@connectrpc/connect/protocol";
import { createLightHeaders, lightHeadersOf } from "./light-headers.js";
import { wrapStream } from "../lib/push-stream.js";
import { envelope } from "../lib/envelope.js";
import { createMessageEncoder, type MessageEncoder } from "../lib/message-encoder.js";
import { createJsonCodec, type JsonCodec } from "../lib/json-codec.js";

export type AnyRequest = UnaryRequest | StreamRequest;
export type AnyResponse = UnaryResponse | StreamResponse;

/** A unary or server-streaming method as the lean paths serve it. */
export interface LeanRoute {
  service: DescService;
  method: DescMethod;
  /** Largest request message in bytes: the method's own limit if registered with one, else the default. */
  readMaxBytes: number;
  /** connect's own (de)serializers for the method, so that parse errors are worded as connect-node words them. */
  serialization: MethodSerializationLookup<DescMessage, DescMessage>;
  /** The response type's binary encoder (server/lib/message-encoder.ts): the same bytes as connect's serializer, made faster. */
  encoder: MessageEncoder;
  /** The request and response types' JSON (server/lib/json-codec.ts): connect's own for all but the simple case. */
  json: { input: JsonCodec; output: JsonCodec };
  /** A response message's bytes: binary by the encoder, JSON by the JSON codec. */
  encode(message: unknown, binary: boolean): Uint8Array;
  /** The method's implementation with the interceptors around it. */
  call: (request: AnyRequest) => Promise<AnyResponse>;
  /**
   * A response message as one enveloped frame (flag 0), binary or JSON. The last frame made is
   * kept: a live event fanned out to many subscribers is the same message object for each of
   * them, and is serialized once for all (the frame is only read by the writes).
   */
  frameOf(message: unknown, binary: boolean): Buffer;
}

/** The lean paths' routes by request path ("/package.Service/Method"). */
export type LeanRoutes = ReadonlyMap<string, LeanRoute>;

/** The routes an options object gives: collected already (`leanRoutes`), or collected now from `routes`. */
export function leanRoutesOf(options: { routes?: (router: ConnectRouter) => void; leanRoutes?: LeanRoutes; interceptors?: readonly Interceptor[]; readMaxBytes?: number }, defaultReadMaxBytes: number): LeanRoutes {
  if (options.leanRoutes !== undefined) return options.leanRoutes;
  if (options.routes === undefined) throw new Error("a lean path needs routes or leanRoutes");
  return collectLeanRoutes(options.routes, options.interceptors ?? [], options.readMaxBytes ?? defaultReadMaxBytes);
}

/** What a protocol knows about a call before it runs: the parts of the handler context it decides. */
export interface CallSetup {
  protocolName: "grpc" | "grpc-web" | "connect";
  requestMethod: string;
  url: string;
  signal: AbortSignal;
  timeoutMs: () => number | undefined;
  requestHeader: Headers;
  contextValues: ContextValues;
  /**
   * The request message. For a server-streaming method it may be a function that throws: the
   * error then surfaces where connect-node surfaces it, when the implementation reads its
   * request, inside the interceptors.
   */
  input: unknown;
}

/**
 * TextEncoder's encode, by Buffer.from: the same bytes (a lone surrogate becomes U+FFFD in both)
 * in pooled memory instead of a new off-heap array; 80-110 ns against 670-720 ns for one
 * Feature's JSON. Given to connect's JSON serializer, which words its errors as before.
 */
export const utf8Encoder = {
  encode: (text = ""): Uint8Array<ArrayBuffer> => Buffer.from(text, "utf8"),
};
/** connect's JSON options with the encoder: its lookup passes them through, though its declared type leaves textEncoder out. */
const jsonOptions = { textEncoder: utf8Encoder } as Parameters<typeof createMethodSerializationLookup>[2];

/** What the innermost call needs that the interceptor request does not carry. */
const callContext = Symbol("lean call context");
type WithContext = AnyRequest & { [callContext]: HandlerContext };

/**
 * Records the unary and server-streaming methods that `register` adds to a router, each wrapped
 * in the interceptors (first is outermost), keyed by request path ("/package.Service/Method").
 * Client and bidi streams are left out: connect-node serves them.
 */
export function collectLeanRoutes(register: (router: ConnectRouter) => void, interceptors: readonly Interceptor[], defaultReadMaxBytes: number): Map<string, LeanRoute> {
  const routes = new Map<string, LeanRoute>();
  const add = (method: DescMethod, fn: unknown, self: unknown, ownReadMaxBytes: number | undefined) => {
    if ((method.methodKind !== "unary" && method.methodKind !== "server_streaming") || typeof fn !== "function") return;
    const service = method.parent;
    const readMaxBytes = ownReadMaxBytes ?? defaultReadMaxBytes;
    const implementation = fn.bind(self) as (input: unknown, context: HandlerContext) => unknown;
    const toMessage = (result: unknown) => (isMessage(result, method.output) ? result : create(method.output as DescMessage, result as never));
    const innermost = (request: AnyRequest): Promise<AnyResponse> => {
      // The request's message, not the one read off the wire: an interceptor may have replaced it.
      const context = (request as WithContext)[callContext];
      const header = context.responseHeader;
      const trailer = context.responseTrailer;
      if (method.methodKind !== "unary") {
        return onlyMessage(request.message as AsyncIterable<unknown>).then((input) => {
          const results = implementation(input, context) as AsyncIterable<unknown>;
          return { stream: true, service, method, header, trailer, message: wrapStream(results, { map: toMessage }) } as StreamResponse;
        });
      }
      const respond = (result: unknown) => ({ stream: false, service, method, header, trailer, message: toMessage(result) }) as UnaryResponse;
      // A handler that answers at once (GetFeature) is answered without an await: one promise a
      // call instead of an async function's and its await's.
      try {
        const result = implementation(request.message, context);
        return isPromiseLike(result) ? Promise.resolve(result).then(respond) : Promise.resolve(respond(result));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const call = [...interceptors].reverse().reduce((next, interceptor) => interceptor(next as never) as never, innermost);
    const serialization = createMethodSerializationLookup(method, undefined, jsonOptions, { readMaxBytes, writeMaxBytes: 0xffffffff });
    // What it cannot encode goes to connect's serializer: the same error as connect-node's ("serialize binary: ...").
    const encoder = createMessageEncoder(method.output, (message) => serialization.getO(true).serialize(message as never));
    const json = {
      input: createJsonCodec({ schema: method.input, connect: serialization.getI(false) as JsonCodec, readMaxBytes }),
      output: createJsonCodec({ schema: method.output, connect: serialization.getO(false) as JsonCodec }),
    };
    const encode = (message: unknown, binary: boolean) => (binary ? encoder.bytes(message as object) : json.output.serialize(message));
    const last = [
      { message: undefined as unknown, frame: Buffer.alloc(0) },
      { message: undefined as unknown, frame: Buffer.alloc(0) },
    ];
    const frameOf = (message: unknown, binary: boolean) => {
      const kept = last[binary ? 0 : 1] as { message: unknown; frame: Buffer };
      if (kept.message !== message) {
        kept.frame = binary ? encoder.frame(message as object) : envelope(json.output.serialize(message));
        kept.message = message;
      }
      return kept.frame;
    };
    routes.set(`/${service.typeName}/${method.name}`, { service, method, call, readMaxBytes, serialization, encoder, json, encode, frameOf });
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

/**
 * Runs one call through the interceptors: builds the handler context and the interceptor
 * request from `setup`. The context is returned at once, so that the caller can answer with its
 * response headers and trailers when the call fails.
 */
export function startCall(route: LeanRoute, setup: CallSetup): { context: HandlerContext; response: Promise<AnyResponse> } {
  const context: HandlerContext = {
    service: route.service,
    method: route.method,
    protocolName: setup.protocolName,
    requestMethod: setup.requestMethod,
    url: setup.url,
    signal: setup.signal,
    timeoutMs: setup.timeoutMs,
    requestHeader: setup.requestHeader,
    responseHeader: createLightHeaders(),
    responseTrailer: createLightHeaders(),
    values: setup.contextValues,
  };
  const streaming = route.method.methodKind === "server_streaming";
  const request = {
    stream: streaming,
    service: route.service,
    method: route.method,
    requestMethod: setup.requestMethod,
    url: setup.url,
    signal: setup.signal,
    header: setup.requestHeader,
    contextValues: setup.contextValues,
    message: streaming ? singleMessage(setup.input) : setup.input,
  } as AnyRequest;
  (request as WithContext)[callContext] = context;
  let response: Promise<AnyResponse>;
  try {
    response = route.call(request);
  } catch (error) {
    response = Promise.reject(error);
  }
  return { context, response };
}

/** Request headers as a Headers, from Node's header object (pseudo-headers left out). */
export function headersOf(headers: Record<string, string | string[] | undefined>): Headers {
  let count = 0;
  for (const name in headers) if (!name.startsWith(":") && headers[name] !== undefined) count++;
  // Filled at its final size (see light-headers.ts); Node's names are lower-case and unique.
  const fields = new Array<string>(2 * count);
  let at = 0;
  for (const name in headers) {
    const value = headers[name];
    if (name.startsWith(":") || value === undefined) continue;
    fields[at++] = name;
    fields[at++] = Array.isArray(value) ? value.join(", ") : value;
  }
  return lightHeadersOf(fields);
}

/**
 * Request headers as a Headers, from an HTTP/2 stream's raw headers (names and values in turn,
 * lower-case): the names come from the array, where headersOf walks Node's header object twice;
 * the values from the header object, which the layers before may have changed (timeout-clamp.ts).
 * A name that comes more than once is joined by Node's rules (cookies, single-value fields), so
 * that request is left to headersOf.
 */
export function headersOfRaw(raw: string[], headers: Record<string, string | string[] | undefined>): Headers {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    // Quadratic, on a list Node caps at maxHeaderListPairs (128 by default, not raised here).
    for (let j = 0; j < i; j += 2) if (raw[j] === name) return headersOf(headers);
    count++;
  }
  const fields = new Array<string>(2 * count);
  let at = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.charCodeAt(0) === 58) continue;
    const value = headers[name];
    fields[at++] = name;
    fields[at++] = typeof value === "string" ? value : (raw[i + 1] as string);
  }
  return lightHeadersOf(fields);
}

async function* singleMessage(input: unknown): AsyncGenerator<unknown> {
  yield typeof input === "function" ? (input as () => unknown)() : input;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

async function onlyMessage(messages: AsyncIterable<unknown>): Promise<unknown> {
  for await (const message of messages) return message;
  throw new Error("unreachable: the lean paths always give one request message");
}

/**
 * The request message from its bytes, with connect's own parser. A message that does not parse
 * is the caller's mistake: INVALID_ARGUMENT, as the wire fixes answer it on connect-node's path
 * (connect-node says INTERNAL).
 */
export function parseRequest(route: LeanRoute, binary: boolean, bytes: Uint8Array): unknown {
  try {
    return binary ? route.serialization.getI(true).parse(bytes) : route.json.input.parse(bytes);
  } catch (cause) {
    const error = ConnectError.from(cause, Code.InvalidArgument);
    throw error.code === Code.Internal ? new ConnectError(error.rawMessage, Code.InvalidArgument, undefined, undefined, cause) : error;
  }
}

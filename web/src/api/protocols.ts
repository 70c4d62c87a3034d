import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import type { NetworkLog } from "./network-log";
import { sendTraceContext } from "./trace-context";

export type ProtocolId = "connect-json" | "connect-binary" | "grpc-web";

export const PROTOCOLS: readonly { id: ProtocolId; label: string }[] = [
  { id: "connect-json", label: "Connect (JSON)" },
  { id: "connect-binary", label: "Connect (binary)" },
  { id: "grpc-web", label: "gRPC-Web" },
];

export function isProtocolId(value: unknown): value is ProtocolId {
  return PROTOCOLS.some((protocol) => protocol.id === value);
}

export interface TransportOptions {
  /** The API server, e.g. "http://127.0.0.1:8080"; the page's own origin in production. */
  baseUrl: string;
  /** The bearer token to send, read at each call (so logging in or out applies at once). */
  token: () => string | undefined;
  /** Where every call is recorded for the network panel. */
  log: NetworkLog;
}

/** A transport for one protocol that sends the session's token and records each call. */
export function createTransport(protocol: ProtocolId, options: TransportOptions): Transport {
  const interceptors = [recordCalls(protocol, options.log), sendToken(options.token), sendTraceContext()];
  const fetch = countingFetch(options.log);
  switch (protocol) {
    case "connect-json":
      return createConnectTransport({ baseUrl: options.baseUrl, interceptors, fetch });
    case "connect-binary":
      return createConnectTransport({ baseUrl: options.baseUrl, useBinaryFormat: true, interceptors, fetch });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl: options.baseUrl, interceptors, fetch });
  }
}

/** gRPC's own spelling of a code, as servers log it: "ok", "invalid_argument", ... */
export function codeName(code: Code | undefined): string {
  if (code === undefined) return "ok";
  return (Code[code] ?? "unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

function sendToken(token: () => string | undefined): Interceptor {
  return (next) => (request) => {
    const value = token();
    if (value !== undefined) request.header.set("authorization", `Bearer ${value}`);
    return next(request);
  };
}

/**
 * Records method, protocol, outcome, time to first message and duration. The call's id goes
 * out as X-Request-Id: the server logs it, and countingFetch uses it to attribute bytes.
 */
function recordCalls(protocol: ProtocolId, log: NetworkLog): Interceptor {
  return (next) => async (request) => {
    const id = log.start({ method: `${request.service.typeName}/${request.method.name}`, protocol });
    request.header.set("x-request-id", id);
    const startedAt = log.get(id)?.startedAt ?? performance.now();
    const firstMessage = () => {
      const call = log.get(id);
      if (call !== undefined && call.firstMessageMs === undefined) log.update(id, { firstMessageMs: performance.now() - startedAt });
    };
    try {
      const response = await next(request);
      if (!response.stream) {
        firstMessage();
        log.update(id, { messages: 1 });
        log.finish(id, "ok");
        return response;
      }
      return { ...response, message: observeStream(response.message, id, log, firstMessage, request.signal) };
    } catch (error) {
      log.finish(id, codeName(ConnectError.from(error).code));
      throw error;
    }
  };
}

async function* observeStream<T>(
  messages: AsyncIterable<T>,
  id: string,
  log: NetworkLog,
  firstMessage: () => void,
  signal: AbortSignal,
): AsyncGenerator<T> {
  try {
    for await (const message of messages) {
      firstMessage();
      log.update(id, { messages: (log.get(id)?.messages ?? 0) + 1 });
      yield message;
    }
    log.finish(id, "ok");
  } catch (error) {
    log.finish(id, codeName(ConnectError.from(error).code));
    throw error;
  } finally {
    // The consumer stopped reading (a cancel button, a component unmounting).
    log.finish(id, signal.aborted ? "canceled" : "ok");
  }
}

/** fetch that adds each call's request and response body sizes to its network-log entry. */
function countingFetch(log: NetworkLog): typeof globalThis.fetch {
  return async (input, init) => {
    const id = new Headers(init?.headers).get("x-request-id");
    if (id !== null) log.addBytes(id, "requestBytes", bodySize(init?.body));
    const response = await globalThis.fetch(input, init);
    if (id === null || response.body === null) return response;
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          log.addBytes(id, "responseBytes", chunk.byteLength);
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

function bodySize(body: BodyInit | null | undefined): number {
  if (body === null || body === undefined) return 0;
  if (typeof body === "string") return new TextEncoder().encode(body).byteLength;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body.byteLength;
  if (body instanceof Blob) return body.size;
  return 0;
}

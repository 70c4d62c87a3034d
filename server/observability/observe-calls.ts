import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { grpcCodeName } from "../lib/code-names.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/** What the HTTP layer knows about a call, handed to interceptors as a context value. */
export interface TransportInfo {
  httpVersion: string;
  peer: string;
}
export const transportInfoKey = createContextKey<TransportInfo | undefined>(undefined, { description: "HTTP details" });

/** Headers that belong to the protocols, not to the caller's metadata. */
const PROTOCOL_HEADERS = new Set([
  "content-type", "content-length", "te", "user-agent", "host", "connection", "accept", "accept-encoding",
  "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "x-grpc-web", "x-user-agent", "connect-protocol-version",
  "connect-timeout-ms", "connect-content-encoding", "connect-accept-encoding", "origin", "referer",
]);
const REDACTED_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

/**
 * One JSON log line and one metrics sample per call, when it ends: method, protocol, HTTP
 * version, status code, duration, peer, user agent, request id (x-request-id, or a new one,
 * echoed back) and the caller's metadata with credentials redacted.
 */
export function observeCalls(logger: Logger, metrics: Metrics): Interceptor {
  let sequence = 0;
  return (next) => async (request) => {
    const started = performance.now();
    const method = `${request.service.typeName}/${request.method.name}`;
    const contentType = request.header.get("content-type") ?? "";
    const protocol = contentType.startsWith("application/grpc-web") ? "grpc-web" : contentType.startsWith("application/grpc") ? "grpc" : "connect";
    const transport = request.contextValues.get(transportInfoKey);
    const requestId = request.header.get("x-request-id") ?? `${process.pid.toString(36)}-${(++sequence).toString(36)}`;

    const finish = (reason: unknown) => {
      const error = reason === undefined ? undefined : ConnectError.from(reason);
      const code = error === undefined ? "OK" : grpcCodeName(error.code);
      const seconds = (performance.now() - started) / 1000;
      metrics.recordCall({ method, protocol, code }, seconds);
      const fields = {
        method,
        protocol,
        httpVersion: transport?.httpVersion,
        code,
        durationMs: Math.round(seconds * 10_000) / 10,
        peer: transport?.peer,
        userAgent: request.header.get("x-user-agent") ?? request.header.get("user-agent") ?? undefined,
        requestId,
        metadata: callerMetadata(request.header),
        ...(error === undefined ? {} : { error: error.rawMessage }),
      };
      const serverFault = error?.code === Code.Internal;
      (serverFault ? logger.error : logger.info)("call", fields);
    };

    try {
      const response = await next(request);
      response.header.set("x-request-id", requestId);
      if (!response.stream) {
        finish(undefined);
        return response;
      }
      metrics.streamOpened(method);
      return { ...response, message: observeStream(response.message, (error) => (metrics.streamClosed(method), finish(error))) };
    } catch (error) {
      finish(error);
      throw error;
    }
  };
}

async function* observeStream<T>(messages: AsyncIterable<T>, done: (error: unknown) => void): AsyncIterable<T> {
  let failure: unknown;
  try {
    yield* messages;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    done(failure);
  }
}

function callerMetadata(headers: Headers): Record<string, string> {
  const metadata: Record<string, string> = {};
  headers.forEach((value, key) => {
    if (PROTOCOL_HEADERS.has(key) || key.startsWith(":")) return;
    metadata[key] = REDACTED_HEADERS.has(key) ? "[redacted]" : value;
  });
  return metadata;
}

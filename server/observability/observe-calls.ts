import { Code, ConnectError, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { transportInfoKey } from "../http/transport-info.js";
import { traceIdKey } from "./trace-calls.js";
import { grpcCodeName } from "../lib/code-names.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { wrapStream } from "../lib/push-stream.js";
import { procedureName } from "../lib/per-method.js";

/** Headers that belong to the protocols, not to the caller's metadata. */
const PROTOCOL_HEADERS = new Set([
  "content-type", "content-length", "te", "user-agent", "host", "connection", "accept", "accept-encoding",
  "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "x-grpc-web", "x-user-agent", "connect-protocol-version",
  "connect-timeout-ms", "connect-content-encoding", "connect-accept-encoding", "origin", "referer",
  "traceparent", "tracestate",
]);
/** Header names that may carry credentials: their values are never logged. */
const CREDENTIAL_HEADER = /authorization|cookie|token|secret|passw|api-?key|session|credential|signature/i;
/** Bounds on what one log line copies from a caller, so a caller cannot make lines huge. */
const MAX_LOGGED_VALUE = 256;
const MAX_LOGGED_HEADERS = 32;
const MAX_LOGGED_ERROR = 1024;
/** A caller's x-request-id is used (and echoed) only if it looks like an id. */
const REQUEST_ID = /^[\x20-\x7e]{1,128}$/;

/**
 * One JSON log line and one metrics sample per call, when it ends: method, protocol, HTTP
 * version, status code, duration, peer, user agent, request id (x-request-id, or a new one,
 * echoed back) and the caller's metadata with credentials redacted.
 */
export function observeCalls(logger: Logger, metrics: Metrics): Interceptor {
  let sequence = 0;
  const idPrefix = `${process.pid.toString(36)}-`;
  return (next) => async (request) => {
    const started = performance.now();
    const method = procedureName(request.method);
    const contentType = request.header.get("content-type") ?? "";
    const protocol = contentType.startsWith("application/grpc-web") ? "grpc-web" : contentType.startsWith("application/grpc") ? "grpc" : "connect";
    const callerId = request.header.get("x-request-id");
    const requestId = callerId !== null && REQUEST_ID.test(callerId) ? callerId : idPrefix + (++sequence).toString(36);
    const call = new ObservedCall(logger, metrics, request.header, request.contextValues, started, method, protocol, requestId);
    try {
      const response = await next(request);
      response.header.set("x-request-id", requestId);
      if (!response.stream) {
        call.finish(undefined);
        return response;
      }
      metrics.streamOpened(method);
      return { ...response, message: wrapStream(response.message, call) };
    } catch (error) {
      call.finish(error);
      throw error;
    }
  };
}

/**
 * One call's log line and metrics sample, written when it ends; for a stream, its hooks
 * (onEnd). An object rather than closures: a live stream keeps it for hours.
 */
class ObservedCall {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly header: Headers,
    private readonly values: ContextValues,
    private readonly started: number,
    private readonly method: string,
    private readonly protocol: string,
    private readonly requestId: string,
  ) {}

  onEnd(error: unknown): void {
    this.metrics.streamClosed(this.method);
    this.finish(error);
  }

  finish(reason: unknown): void {
    const { method, protocol, header } = this;
    const error = reason === undefined ? undefined : ConnectError.from(reason);
    const code = error === undefined ? "OK" : grpcCodeName(error.code);
    const seconds = (performance.now() - this.started) / 1000;
    this.metrics.recordCall({ method, protocol, code }, seconds);
    const transport = this.values.get(transportInfoKey);
    // Set by traceCalls (outside this interceptor) when tracing is on.
    const traceId = this.values.get(traceIdKey);
    const fields: Record<string, unknown> = {
      method,
      protocol,
      httpVersion: transport?.httpVersion,
      code,
      durationMs: Math.round(seconds * 10_000) / 10,
      peer: transport?.peer,
      userAgent: clip(header.get("x-user-agent") ?? header.get("user-agent") ?? undefined, MAX_LOGGED_VALUE),
      requestId: this.requestId,
    };
    if (traceId !== undefined) fields.traceId = traceId;
    fields.metadata = callerMetadata(header);
    if (error !== undefined) fields.error = clip(error.rawMessage, MAX_LOGGED_ERROR);
    const serverFault = error?.code === Code.Internal;
    (serverFault ? this.logger.error : this.logger.info)("call", fields);
  }
}

function callerMetadata(headers: Headers): Record<string, string> {
  const metadata: Record<string, string> = {};
  let count = 0;
  let omitted = 0;
  headers.forEach((value, key) => {
    if (PROTOCOL_HEADERS.has(key) || key.startsWith(":")) return;
    if (++count > MAX_LOGGED_HEADERS) return void omitted++;
    const name = clip(key, 64) as string;
    if (CREDENTIAL_HEADER.test(key)) metadata[name] = "[redacted]";
    else if (key.endsWith("-bin")) metadata[name] = `[binary, ${value.length} characters]`;
    else metadata[name] = clip(value, MAX_LOGGED_VALUE) as string;
  });
  if (omitted > 0) metadata["[omitted]"] = `${omitted} more headers`;
  return metadata;
}

function clip(text: string | undefined, max: number): string | undefined {
  if (text === undefined || text.length <= max) return text;
  return `${text.slice(0, max)}…[${text.length - max} more characters]`;
}

/** The metrics' method label for a refused call to a path the server does not serve. */
export const UNKNOWN_METHOD = "[unknown]";

/**
 * Logs and counts a call refused below the interceptors (by the HTTP layer), in the same
 * shape as the line observeCalls writes, so that every call the server answers is accounted.
 * The method comes from the request's path: unless it is one of `procedures`, it is counted
 * as UNKNOWN_METHOD, so that made-up paths cannot add label sets (memory) without end.
 */
export function logRefusal(
  logger: Logger,
  metrics: Metrics,
  refusal: { method: string; protocol: string; code: string; message: string; httpVersion: string; peer: string; userAgent?: string },
  procedures: ReadonlySet<string>,
): void {
  const method = procedures.has(refusal.method) ? refusal.method : UNKNOWN_METHOD;
  metrics.recordCall({ method, protocol: refusal.protocol, code: refusal.code }, 0);
  logger.info("call", {
    method: clip(refusal.method, 128),
    protocol: refusal.protocol,
    httpVersion: refusal.httpVersion,
    code: refusal.code,
    durationMs: 0,
    peer: refusal.peer,
    userAgent: clip(refusal.userAgent, MAX_LOGGED_VALUE),
    error: refusal.message,
  });
}

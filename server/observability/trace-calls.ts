import { ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import { wrapStream } from "../lib/push-stream.js";
import { procedureName } from "../lib/per-method.js";

/** The trace id of the call's server span, for the call's log line. */
export const traceIdKey = createContextKey<string | undefined>(undefined, { description: "trace id" });

const headerGetter = {
  keys: (carrier: Headers) => [...carrier.keys()],
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};

/**
 * A server span per call with the rpc.* semantic conventions, child of the caller's
 * `traceparent` when there is one. Handlers, storage and hubs run inside its context, so their
 * spans nest beneath it; a stream's span ends with the stream. Outermost interceptor.
 */
export function traceCalls(tracer: Tracer): Interceptor {
  return (next) => async (request) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.header, headerGetter);
    const contentType = request.header.get("content-type") ?? "";
    const span = tracer.startSpan(
      procedureName(request.method),
      {
        kind: SpanKind.SERVER,
        attributes: {
          "rpc.system": contentType.startsWith("application/grpc") ? "grpc" : "connect_rpc",
          "rpc.service": request.service.typeName,
          "rpc.method": request.method.name,
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    request.contextValues.set(traceIdKey, span.spanContext().traceId);
    try {
      const response = await context.with(active, () => next(request));
      if (!response.stream) {
        end(span, undefined);
        return response;
      }
      // The stream's work (the handler's generator, or its start when pushed) runs inside the span's context.
      return { ...response, message: wrapStream(response.message, { around: (work) => context.with(active, work), onEnd: (error) => end(span, error) }) };
    } catch (error) {
      end(span, error);
      throw error;
    }
  };
}

function end(span: Span, error: unknown): void {
  if (error === undefined) {
    span.setAttribute("rpc.grpc.status_code", 0);
  } else {
    const connectError = ConnectError.from(error);
    span.setAttribute("rpc.grpc.status_code", connectError.code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: connectError.rawMessage });
  }
  span.end();
}

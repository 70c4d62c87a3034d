import type { NodeHandler } from "./node-handler.js";
import { cors as connectCors } from "@connectrpc/connect";

export interface CorsOptions {
  /**
   * Origins allowed to call from a browser, e.g. "http://localhost:5173". "*" allows any
   * origin. Default: none (only same-origin pages and non-browser clients).
   */
  allowedOrigins?: readonly string[];
  /** Extra request headers browsers may send, beyond the protocols' own. Default: Authorization, X-Request-Id, W3C trace context. */
  extraAllowedHeaders?: readonly string[];
  /** Extra response headers browsers may read, beyond the protocols' own. Default: X-Request-Id. */
  extraExposedHeaders?: readonly string[];
  /** How long browsers may cache a preflight answer, in seconds. Default: 7200. */
  maxAgeSeconds?: number;
}

/**
 * Cross-origin access for browser clients. Allowed and exposed headers come from connect's
 * `cors` lists, so grpc-status and grpc-message reach browser clients on errors too.
 */
export function withCors(handler: NodeHandler, options: CorsOptions = {}): NodeHandler {
  const origins = new Set(options.allowedOrigins ?? []);
  const allowedHeaders = [...connectCors.allowedHeaders, ...(options.extraAllowedHeaders ?? ["Authorization", "X-Request-Id", "Traceparent", "Tracestate"])].join(", ");
  const exposedHeaders = [...connectCors.exposedHeaders, ...(options.extraExposedHeaders ?? ["X-Request-Id"])].join(", ");
  const allowedMethods = connectCors.allowedMethods.join(", ");
  const maxAge = String(options.maxAgeSeconds ?? 7200);

  return (request, response) => {
    const origin = request.headers.origin;
    const allowed = origin !== undefined && (origins.has("*") || origins.has(origin));
    const isPreflight = request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined;
    if (allowed) {
      response.setHeader("Access-Control-Allow-Origin", origin);
      response.setHeader("Vary", "Origin");
      response.setHeader("Access-Control-Expose-Headers", exposedHeaders);
    }
    if (isPreflight) {
      if (allowed) {
        response.setHeader("Access-Control-Allow-Methods", allowedMethods);
        response.setHeader("Access-Control-Allow-Headers", allowedHeaders);
        response.setHeader("Access-Control-Max-Age", maxAge);
      }
      // Without the allow headers the browser refuses the call; the status alone says nothing.
      response.statusCode = allowed ? 204 : 403;
      response.end();
      return;
    }
    handler(request, response);
  };
}

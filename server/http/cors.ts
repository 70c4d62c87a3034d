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

/** The CORS decision for one origin, shared by the HTTP layer and the paths that bypass it. */
export interface CorsPolicy {
  /** The headers an actual (not preflight) call from `origin` gets, lower-case; undefined if the origin is not allowed. */
  responseHeaders(origin: string | undefined): Readonly<Record<string, string>> | undefined;
  /** The headers a preflight from an allowed origin gets on top of `responseHeaders`. */
  readonly preflightHeaders: Readonly<Record<string, string>>;
}

/**
 * Cross-origin access for browser clients. Allowed and exposed headers come from connect's
 * `cors` lists, so grpc-status and grpc-message reach browser clients on errors too.
 */
export function createCorsPolicy(options: CorsOptions = {}): CorsPolicy {
  const origins = new Set(options.allowedOrigins ?? []);
  const exposedHeaders = [...connectCors.exposedHeaders, ...(options.extraExposedHeaders ?? ["X-Request-Id"])].join(", ");
  // One object per allowed origin, made on its first call: an allowed origin is a short, fixed list (or "*").
  const byOrigin = new Map<string, Readonly<Record<string, string>>>();
  return {
    responseHeaders(origin) {
      if (origin === undefined || !(origins.has("*") || origins.has(origin))) return undefined;
      let headers = byOrigin.get(origin);
      if (headers === undefined) {
        headers = { "access-control-allow-origin": origin, vary: "Origin", "access-control-expose-headers": exposedHeaders };
        if (byOrigin.size < 1_000) byOrigin.set(origin, headers); // "*" lets any origin in: the cache stays bounded
      }
      return headers;
    },
    preflightHeaders: {
      "access-control-allow-methods": connectCors.allowedMethods.join(", "),
      "access-control-allow-headers": [...connectCors.allowedHeaders, ...(options.extraAllowedHeaders ?? ["Authorization", "X-Request-Id", "Traceparent", "Tracestate"])].join(", "),
      "access-control-max-age": String(options.maxAgeSeconds ?? 7200),
    },
  };
}

/** createCorsPolicy as a layer: answers preflights, and sets the headers of allowed origins' calls. */
export function withCors(handler: NodeHandler, policy: CorsPolicy): NodeHandler {
  return (request, response) => {
    const allowed = policy.responseHeaders(request.headers.origin);
    if (allowed !== undefined) for (const name in allowed) response.setHeader(name, allowed[name] as string);
    if (request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined) {
      if (allowed !== undefined) for (const name in policy.preflightHeaders) response.setHeader(name, policy.preflightHeaders[name] as string);
      // Without the allow headers the browser refuses the call; the status alone says nothing.
      response.statusCode = allowed !== undefined ? 204 : 403;
      response.end();
      return;
    }
    handler(request, response);
  };
}

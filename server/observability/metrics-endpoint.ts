import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import type { Registry } from "prom-client";

type Fallback = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/**
 * Answers GET /metrics in the Prometheus text format; every other request that no RPC matched
 * goes to `next` (default: 404). Used as the RPC router's fallback, so it shares the one port.
 */
export function serveMetrics(registry: Registry, next?: Fallback): Fallback {
  return (request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
      if (next) return next(request, response);
      response.statusCode = 404;
      response.end();
      return;
    }
    registry.metrics().then(
      (text) => {
        response.setHeader("content-type", registry.contentType);
        response.end(text);
      },
      () => {
        response.statusCode = 500;
        response.end();
      },
    );
  };
}

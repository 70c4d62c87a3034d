import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import type { Registry } from "prom-client";

/**
 * Answers GET /metrics in the Prometheus text format; every other path that no RPC matched
 * gets 404. Used as the RPC router's fallback, so it shares the one port.
 */
export function serveMetrics(registry: Registry): NonNullable<ConnectNodeAdapterOptions["fallback"]> {
  return (request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
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

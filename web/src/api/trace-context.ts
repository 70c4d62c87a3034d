import type { Interceptor } from "@connectrpc/connect";

/**
 * Starts a W3C trace for each call (`traceparent: 00-<trace id>-<span id>-01`), so that a
 * server with tracing on (OTEL_* variables) records the call, its storage and hub work as one
 * trace under the page's span. The page itself exports nothing: the ids tie the server's spans
 * to the click that caused them (the network panel shows the trace id).
 */
export function sendTraceContext(): Interceptor {
  return (next) => (request) => {
    if (!request.header.has("traceparent")) request.header.set("traceparent", `00-${randomHex(16)}-${randomHex(8)}-01`);
    return next(request);
  };
}

function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}

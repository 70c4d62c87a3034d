import type { NodeHandler, NodeRequest } from "./node-handler.js";
/** What the guard refused, for the call log and metrics (the interceptors never saw the call). */
export interface Refusal {
  method: string;
  protocol: string;
  code: "INVALID_ARGUMENT";
  message: string;
  request: NodeRequest;
}

/** Base64 in either alphabet, padding only at the end (connect's decoder reads other forms as garbage). */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * A Connect GET whose `message` is declared base64 but is not: connect-node's decoder throws
 * before any interceptor runs, and the client gets HTTP 500 "internal" for its own mistake,
 * with no log line or metric. It is answered here as connect-node answers other malformed
 * input (400, invalid_argument), and reported to `onRefused`.
 */
export function withConnectGetGuard(handler: NodeHandler, onRefused: (refusal: Refusal) => void): NodeHandler {
  return (request, response) => {
    const refused = request.method === "GET" ? refusedGet(request.url ?? "") : undefined;
    if (refused !== undefined) {
      onRefused({ method: refused.pathname.slice(1), protocol: "connect", code: "INVALID_ARGUMENT", message: refused.message, request });
      const body = JSON.stringify({ code: "invalid_argument", message: refused.message });
      response.statusCode = 400;
      response.setHeader("content-type", "application/json");
      response.setHeader("content-length", Buffer.byteLength(body));
      response.end(body);
      return;
    }
    handler(request, response);
  };
}

/** Whether a `message` declared base64 can be read as base64: paths that bypass the guard leave other GETs to it. */
export function isBase64Message(message: string): boolean {
  return BASE64.test(message) && message.replace(/=+$/, "").length % 4 !== 1;
}

function refusedGet(url: string): { pathname: string; message: string } | undefined {
  const queryStart = url.indexOf("?");
  if (queryStart < 0 || !url.includes("base64=1", queryStart)) return undefined;
  const query = new URLSearchParams(url.slice(queryStart + 1));
  if (query.get("base64") !== "1" || isBase64Message(query.get("message") ?? "")) return undefined;
  return { pathname: new URL(url, "http://localhost").pathname, message: "message: query parameter is not valid base64" };
}

import type { IncomingHttpHeaders } from "node:http";
import type { NodeHandler } from "./node-handler.js";

/**
 * The longest delay Node's timers can wait (2^31-1 ms, about 24.8 days). A longer one fires
 * after 1 ms: a client asking for a 30-day deadline would see DEADLINE_EXCEEDED at once.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The largest whole-second grpc-timeout below MAX_TIMEOUT_MS, within the 8 digits gRPC allows. */
const MAX_GRPC_TIMEOUT = `${Math.floor(MAX_TIMEOUT_MS / 1000)}S`;
const GRPC_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };

/**
 * Deadlines longer than timers allow are served as the longest they allow, on every protocol
 * and both call paths alike: grpc-timeout (gRPC, gRPC-Web) and Connect-Timeout-Ms are
 * rewritten in place before the protocol code reads them. Malformed values are left for the
 * protocol code to refuse.
 */
export function clampTimeoutHeaders(headers: IncomingHttpHeaders): void {
  const grpc = headers["grpc-timeout"];
  if (typeof grpc === "string") {
    const match = /^(\d{1,8})([HMSmun])$/.exec(grpc);
    if (match && Number(match[1]) * (GRPC_UNIT_MS[match[2] as string] as number) > MAX_TIMEOUT_MS) headers["grpc-timeout"] = MAX_GRPC_TIMEOUT;
  }
  const connect = headers["connect-timeout-ms"];
  if (typeof connect === "string" && /^\d{1,10}$/.test(connect) && Number(connect) > MAX_TIMEOUT_MS) {
    headers["connect-timeout-ms"] = String(MAX_TIMEOUT_MS);
  }
}

/** clampTimeoutHeaders for every request, ahead of connect-node. */
export function withTimeoutClamp(handler: NodeHandler): NodeHandler {
  return (request, response) => {
    clampTimeoutHeaders(request.headers);
    handler(request, response);
  };
}

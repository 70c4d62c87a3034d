import type { ContextValues } from "@connectrpc/connect";
import { identityKey } from "../auth/identity.js";
import { transportInfoKey } from "../http/transport-info.js";

/**
 * The caller's network address, for limits on anonymous calls. Behind a proxy every caller
 * shares the proxy's address: the proxy must apply per-client limits itself (see README).
 */
export function clientAddress(values: ContextValues): string {
  return values.get(transportInfoKey)?.remoteAddress ?? "in-process";
}

/** Who a limit counts against: the signed-in user or service if there is one, else the address. */
export function clientKey(values: ContextValues): string {
  const identity = values.get(identityKey);
  if (identity?.kind === "user") return `user:${identity.userId}`;
  if (identity?.kind === "service") return `service:${identity.name}`;
  return `address:${clientAddress(values)}`;
}

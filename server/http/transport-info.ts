import { createContextKey } from "@connectrpc/connect";

/** What the HTTP layer knows about a call, handed to interceptors and handlers as a context value. */
export interface TransportInfo {
  /** "1.1" or "2.0". */
  httpVersion: string;
  /** The peer's IP address as the socket reports it ("unknown" if the socket is gone). */
  remoteAddress: string;
  /** "address:port", for logs. */
  peer: string;
  /**
   * The connection the call arrived on (the HTTP/2 session, or the HTTP/1.1 socket), an
   * identity for per-connection limits. Undefined in in-memory transports.
   */
  connection: object | undefined;
}

export const transportInfoKey = createContextKey<TransportInfo | undefined>(undefined, { description: "HTTP details" });

const byConnection = new WeakMap<object, TransportInfo>();

/**
 * The transport details of a call, made once per connection: every call on a connection shares
 * them (a keep-alive connection or an HTTP/2 session carries thousands of calls).
 */
export function connectionTransportInfo(
  httpVersion: string,
  socket: { remoteAddress?: string; remotePort?: number } | undefined,
  connection: object | undefined,
): TransportInfo {
  if (connection === undefined) return transportInfo(httpVersion, socket, connection);
  let info = byConnection.get(connection);
  if (info === undefined || info.httpVersion !== httpVersion) byConnection.set(connection, (info = transportInfo(httpVersion, socket, connection)));
  return info;
}

/**
 * Reads the socket's address fields one by one: they are getters, so spreading the socket
 * (or the HTTP/2 compatibility layer's proxy of it) copies none of them.
 */
function transportInfo(
  httpVersion: string,
  socket: { remoteAddress?: string; remotePort?: number } | undefined,
  connection: object | undefined,
): TransportInfo {
  const remoteAddress = socket?.remoteAddress ?? "unknown";
  const remotePort = socket?.remotePort;
  const host = remoteAddress.includes(":") ? `[${remoteAddress}]` : remoteAddress;
  return { httpVersion, remoteAddress, peer: remotePort === undefined ? host : `${host}:${remotePort}`, connection };
}

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;
type Handler = (request: Request, response: Response) => void;

/**
 * Percent-encodes a status message as the gRPC HTTP/2 spec asks: UTF-8, then only bytes
 * outside printable ASCII (0x20-0x7E) and "%" itself are escaped.
 */
export function encodeGrpcMessage(message: string): string {
  let encoded = "";
  for (const byte of Buffer.from(message, "utf8")) {
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/**
 * connect-node writes grpc-message with encodeURIComponent, which also escapes ":", ",", "/"
 * and more; grpc-js decodes with decodeURI, which leaves those escapes in place, so its users
 * would read "username%3A is required". This rewrites the header and trailer of gRPC and
 * gRPC-Web responses to the spec's encoding, which every conforming decoder reads back exactly.
 */
export function withSpecGrpcMessage(handler: Handler): Handler {
  return (request, response) => {
    if (!String(request.headers["content-type"] ?? "").startsWith("application/grpc")) {
      handler(request, response);
      return;
    }
    const writeHead = response.writeHead;
    response.writeHead = function (this: Response, status: number, ...rest: unknown[]) {
      for (const arg of rest) if (typeof arg === "object" && arg !== null) reencode(arg as OutgoingHttpHeaders);
      return (writeHead as (...args: unknown[]) => Response).call(this, status, ...rest);
    } as typeof response.writeHead;
    const addTrailers = response.addTrailers;
    response.addTrailers = function (this: Response, trailers: OutgoingHttpHeaders) {
      reencode(trailers);
      return addTrailers.call(this as never, trailers as never);
    } as typeof response.addTrailers;
    handler(request, response);
  };
}

function reencode(headers: OutgoingHttpHeaders): void {
  const value = headers["grpc-message"];
  if (typeof value !== "string") return;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return;
  }
  headers["grpc-message"] = encodeGrpcMessage(decoded);
}

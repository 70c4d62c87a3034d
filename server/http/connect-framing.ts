import type { ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, createEndStreamSerialization, errorToJsonBytes, parseContentType } from "@connectrpc/connect/protocol-connect";
import type { OutgoingHttpHeaders } from "node:http";

/** The Connect end-of-stream message's flag byte (0x02; 0x03 when compressed). */
export const CONNECT_END_STREAM_FLAG = 0b10;

const endStream = createEndStreamSerialization(undefined);

/** For a Connect POST content type: unary or streaming, binary or JSON; undefined for any other. */
export function parseConnectContentType(contentType: string | undefined): { stream: boolean; binary: boolean } | undefined {
  return contentType === undefined ? undefined : parseContentType(contentType);
}

/**
 * A unary answer's head: the content type, the response headers, the trailers as "trailer-"
 * headers, the length, the encoding if the body is compressed.
 */
export function connectUnaryHead(binary: boolean, header: Headers, trailer: Headers, length: number, encoding: string | undefined): OutgoingHttpHeaders {
  const head: OutgoingHttpHeaders = { "content-type": binary ? "application/proto" : "application/json" };
  header.forEach((value, name) => (head[name] = value));
  if (encoding !== undefined) head["content-encoding"] = encoding;
  trailer.forEach((value, name) => (head[`trailer-${name}`] = value));
  head["content-length"] = String(length);
  return head;
}

/** A unary error: its HTTP status and JSON body ({"code": "...", "message": "...", "details": [...]}). */
export function connectUnaryError(error: ConnectError): { status: number; body: Uint8Array } {
  return { status: codeToHttpStatus(error.code), body: errorToJsonBytes(error, undefined) };
}

/** A server stream's head: the content type, the stream's encoding if any, the response headers. */
export function connectStreamHead(binary: boolean, header: Headers, encoding: string | undefined): OutgoingHttpHeaders {
  const head: OutgoingHttpHeaders = { "content-type": binary ? "application/connect+proto" : "application/connect+json" };
  if (encoding !== undefined) head["connect-content-encoding"] = encoding;
  header.forEach((value, name) => (head[name] = value));
  return head;
}

/** The end-of-stream message's payload: {"error": ..., "metadata": {trailers}}, serialized by connect itself. */
export function connectEndStreamPayload(trailer: Headers, error: ConnectError | undefined): Uint8Array {
  return endStream.serialize({ metadata: trailer, error });
}

import type { ConnectError } from "@connectrpc/connect";
import { trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { OutgoingHttpHeaders } from "node:http";
import { hasHeaderMetadata } from "./grpc-trailers-only.js";
import { createLightHeaders } from "./light-headers.js";

/** gRPC-Web as the lean path takes it: binary or JSON; not the base64 "-text" form (connect-node serves that). */
const CONTENT_TYPE = /^application\/grpc-web(?:\+(?:(json)(?:; ?charset=utf-?8)?|proto))?$/i;

/** The trailer frame's flag byte (0x80; 0x81 when compressed). */
export const GRPC_WEB_TRAILER_FLAG = 0b1000_0000;

/** For a gRPC-Web content type the lean path serves, whether it is binary; undefined for any other. */
export function parseGrpcWebContentType(contentType: string | undefined): { binary: boolean } | undefined {
  const match = contentType === undefined ? null : CONTENT_TYPE.exec(contentType);
  return match === null ? undefined : { binary: match[1] === undefined };
}

/** The response headers: connect-node answers "+proto" or "+json" whichever form was asked. */
export function grpcWebHead(binary: boolean, header: Headers, encoding: string | undefined): OutgoingHttpHeaders {
  const head: OutgoingHttpHeaders = { "content-type": binary ? "application/grpc-web+proto" : "application/grpc-web+json" };
  if (encoding !== undefined) head["grpc-encoding"] = encoding;
  header.forEach((value, name) => (head[name] = value));
  return head;
}

/** The call's trailers with its status: grpc-status, grpc-message (percent-encoded as connect-node does), details, the error's metadata. */
export function grpcWebStatus(trailer: Headers, error: ConnectError | undefined): Headers {
  const fields = createLightHeaders();
  fields.set("grpc-status", "0");
  trailer.forEach((value, name) => fields.set(name, value));
  setTrailerStatus(fields, error);
  return fields;
}

/**
 * The trailer frame's payload: "name: value\r\n" lines, in the sorted order of a Headers (which
 * connect-node serializes).
 */
export function grpcWebTrailerPayload(status: Headers): Uint8Array {
  if (isPlainOk(status)) return OK_TRAILER_PAYLOAD;
  const sorted = new Headers();
  status.forEach((value, name) => sorted.append(name, value));
  return trailerSerialize(sorted);
}

/** Most calls end with just "grpc-status: 0": its payload, as trailerSerialize writes it, made once. */
const OK_TRAILER_PAYLOAD: Uint8Array = trailerSerialize(new Headers({ "grpc-status": "0" }));

function isPlainOk(status: Headers): boolean {
  let fields = 0;
  let ok = false;
  status.forEach((value, name) => {
    fields++;
    ok = name === "grpc-status" && value === "0";
  });
  return fields === 1 && ok;
}

/**
 * A trailers-only answer: the status in the response headers and an empty body, for a call that
 * ends before any message and has no header metadata to send (as http/grpc-trailers-only.ts turns
 * connect-node's answers). Undefined when the head carries metadata: then the trailer frame goes
 * in the body.
 */
export function grpcWebTrailersOnly(head: OutgoingHttpHeaders, status: Headers): OutgoingHttpHeaders | undefined {
  if (hasHeaderMetadata(head)) return undefined;
  const fields: OutgoingHttpHeaders = { ...head };
  status.forEach((value, name) => (fields[name] = value));
  return fields;
}

import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { OutgoingHttpHeaders } from "node:http";
import type { NodeHandler, NodeResponse } from "./node-handler.js";

/** Node's default limit on a header block (--max-http-header-size) bounds what can move into headers. */
const MAX_TRAILER_BYTES = 16 * 1024;

/** Response headers every gRPC response has; anything else is header metadata. */
const PROTOCOL_HEADERS = new Set(["content-type", "grpc-encoding", "grpc-accept-encoding", "date"]);

/** Whether the headers carry metadata of the application (x-request-id, custom headers). */
export function hasHeaderMetadata(headers: OutgoingHttpHeaders): boolean {
  return Object.keys(headers).some((name) => !name.startsWith(":") && !PROTOCOL_HEADERS.has(name.toLowerCase()));
}

/**
 * gRPC over HTTP/2 as grpc-go's server answers: a call that ends before any message and has no
 * header metadata to send goes out as a trailers-only response (one HEADERS frame with
 * grpc-status and END_STREAM). Envoy's retry policy and outlier detection read grpc-status from
 * response headers only, so this is what lets them see the error. With header metadata, or
 * after a message, the headers and the trailers stay separate frames.
 *
 * gRPC-Web (HTTP/1.1 and HTTP/2) has the same form: the status in the response headers and an
 * empty body, instead of a body holding only the trailer frame. connect-es, grpc-web and Envoy
 * read it there.
 *
 * connect-node (through Node's compatibility API) always sends headers, then trailers: its head
 * and trailers are held until the call ends or writes a message.
 */
export function withGrpcTrailersOnly(handler: NodeHandler): NodeHandler {
  return (request, response) => {
    const contentType = String(request.headers["content-type"] ?? "");
    if (contentType.startsWith("application/grpc-web")) holdGrpcWebHeadUntilMessage(response);
    else if ("stream" in response && contentType.startsWith("application/grpc")) holdHeadUntilBody(response);
    handler(request, response);
  };
}

/** gRPC-Web: a body whose first frame is the trailer frame (flag 0x80) becomes headers. */
function holdGrpcWebHeadUntilMessage(response: NodeResponse): void {
  const writeHead = response.writeHead as (...args: unknown[]) => NodeResponse;
  const write = response.write as (...args: unknown[]) => boolean;
  const end = response.end as (...args: unknown[]) => NodeResponse;
  // The head connect-node wrote, not yet sent; `passing` once the body has begun (or Node's own
  // end() writes a head), after which every method passes straight through.
  let held: unknown[] | undefined;
  let passing = false;
  /** Sends the held head, with the trailer frame's fields in it if `chunk` is a lone trailer frame; true if it was. */
  const sendHead = (self: NodeResponse, chunk: unknown): boolean => {
    const head = held!;
    held = undefined;
    passing = true;
    const headers = head.find((arg): arg is OutgoingHttpHeaders => typeof arg === "object" && arg !== null && !Array.isArray(arg));
    const isTrailerFrame = chunk instanceof Uint8Array && (chunk[0] === 0x80 || chunk[0] === 0x81);
    const trailers = isTrailerFrame && (headers === undefined || !hasHeaderMetadata(headers)) ? parseTrailerFrame(chunk, headers?.["grpc-encoding"]) : undefined;
    if (trailers === undefined) {
      writeHead.apply(self, head);
      return false;
    }
    writeHead.call(self, head[0], { ...headers, ...trailers });
    return true;
  };
  response.writeHead = function (this: NodeResponse, ...args: unknown[]) {
    if (passing) return writeHead.apply(this, args);
    held = args;
    return this;
  } as typeof response.writeHead;
  response.write = function (this: NodeResponse, chunk: unknown, ...rest: unknown[]) {
    if (held === undefined || !sendHead(this, chunk)) return write.call(this, chunk, ...rest);
    // The trailer frame went into the headers: nothing to write (it is always the last frame).
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback) process.nextTick(callback);
    return true;
  } as typeof response.write;
  response.end = function (this: NodeResponse, ...args: unknown[]) {
    if (held !== undefined && sendHead(this, args[0])) args.shift();
    passing = true;
    return end.apply(this, args);
  } as typeof response.end;
}

/**
 * "grpc-status: 3\r\ngrpc-message: ...\r\n" after the 5-byte frame prefix, as header fields;
 * undefined if it is not one frame. A large trailer (an error with details) is compressed like a
 * message when the client accepts compression (flag 0x81): it is read with the response's encoding.
 */
function parseTrailerFrame(frame: Uint8Array, encoding: OutgoingHttpHeaders[string]): OutgoingHttpHeaders | undefined {
  if (frame.length < 5) return undefined;
  const length = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).readUInt32BE(1);
  if (frame.length !== 5 + length) return undefined;
  const payload = frame[0] === 0x81 ? decompressTrailer(Buffer.from(frame.subarray(5)), encoding) : Buffer.from(frame.subarray(5));
  if (payload === undefined) return undefined;
  const fields: OutgoingHttpHeaders = {};
  for (const line of payload.toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return fields["grpc-status"] === undefined ? undefined : fields;
}

/** The trailer frame's payload, decompressed; undefined for an encoding we do not know or a trailer too large to hold in headers. */
function decompressTrailer(payload: Buffer, encoding: OutgoingHttpHeaders[string]): Buffer | undefined {
  const options = { maxOutputLength: MAX_TRAILER_BYTES };
  try {
    if (encoding === "gzip") return gunzipSync(payload, options);
    if (encoding === "br") return brotliDecompressSync(payload, options);
  } catch {
    // Larger than a header block may be, or not what it says: left in the body as it is.
  }
  return undefined;
}

function holdHeadUntilBody(response: NodeResponse): void {
  const writeHead = response.writeHead as (...args: unknown[]) => NodeResponse;
  const addTrailers = response.addTrailers as (trailers: OutgoingHttpHeaders) => void;
  const write = response.write as (...args: unknown[]) => boolean;
  const end = response.end as (...args: unknown[]) => NodeResponse;
  let held: { status: number; headers: OutgoingHttpHeaders } | undefined;
  let heldTrailers: OutgoingHttpHeaders | undefined;
  const release = (self: NodeResponse) => {
    if (held === undefined) return;
    const { status, headers } = held;
    held = undefined;
    writeHead.call(self, status, headers);
    if (heldTrailers !== undefined) addTrailers.call(self, heldTrailers);
    heldTrailers = undefined;
  };
  response.writeHead = function (this: NodeResponse, status: number, ...rest: unknown[]) {
    const headers = rest.find((arg): arg is OutgoingHttpHeaders => typeof arg === "object" && arg !== null && !Array.isArray(arg));
    held = { status, headers: { ...headers } };
    return this;
  } as typeof response.writeHead;
  response.addTrailers = function (this: NodeResponse, trailers: OutgoingHttpHeaders) {
    if (held === undefined) return addTrailers.call(this, trailers);
    heldTrailers = { ...heldTrailers, ...trailers };
  } as typeof response.addTrailers;
  response.write = function (this: NodeResponse, ...args: unknown[]) {
    release(this);
    return write.apply(this, args);
  } as typeof response.write;
  response.end = function (this: NodeResponse, ...args: unknown[]) {
    const hasBody = args[0] instanceof Uint8Array || typeof args[0] === "string";
    const trailersOnly = held !== undefined && !hasBody && heldTrailers?.["grpc-status"] !== undefined && !hasHeaderMetadata(held.headers);
    if (trailersOnly) {
      const stream = (this as unknown as { stream: import("node:http2").ServerHttp2Stream }).stream;
      if (!stream.destroyed && !stream.headersSent) {
        stream.respond({ ":status": held!.status, ...held!.headers, ...heldTrailers }, { endStream: true });
      }
      held = undefined;
      heldTrailers = undefined;
    } else {
      release(this);
    }
    // Node's end() writes the head itself when none was written (statusCode = 404; end()): it must
    // reach the real writeHead now.
    this.writeHead = writeHead as typeof response.writeHead;
    this.addTrailers = addTrailers as typeof response.addTrailers;
    return end.apply(this, args);
  } as typeof response.end;
}

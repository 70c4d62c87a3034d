import type { OutgoingHttpHeaders } from "node:http";
import { envelope } from "../lib/envelope.js";
import type { NodeHandler, NodeRequest, NodeResponse } from "./node-handler.js";
/**
 * How connect-node words request faults that are the caller's, which it answers INTERNAL
 * before any interceptor runs: a message that is not valid protobuf, a compressed message the
 * server cannot or was not told how to decompress, a compressed body that is not what it claims.
 */
const CLIENT_MISTAKES = [
  "parse binary:",
  "received compressed envelope, but do not know how to decompress",
  "decompression failed",
];
const GRPC_INTERNAL = "13";
const GRPC_INVALID_ARGUMENT = "3";

export function isClientMistake(message: string): boolean {
  return CLIENT_MISTAKES.some((prefix) => message.startsWith(prefix));
}

/** Whether a Connect error's JSON text carries one of CLIENT_MISTAKES as its message. */
function jsonNamesClientMistake(text: string): boolean {
  return CLIENT_MISTAKES.some((prefix) => text.includes(`"message":"${prefix}`));
}

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
 * Corrects two things connect-node writes, at the point where the status reaches the wire:
 *
 * - grpc-message: connect-node escapes it with encodeURIComponent (":" and "," too); grpc-js
 *   decodes with decodeURI, which leaves those escapes, so its users would read
 *   "username%3A is required". It is re-encoded as the spec says, which every decoder reads.
 * - Request faults that are the caller's (CLIENT_MISTAKES: invalid protobuf, compression it
 *   cannot undo): connect-node reports them as INTERNAL before any interceptor runs. They
 *   are answered INVALID_ARGUMENT, in gRPC headers and trailers, in gRPC-Web trailer frames,
 *   in Connect error bodies (GET included) and in Connect streams' end-of-stream messages.
 */
export function withWireStatusFixes(handler: NodeHandler): NodeHandler {
  return (request, response) => {
    const contentType = String(request.headers["content-type"] ?? "");
    if (contentType.startsWith("application/grpc-web")) patchGrpcWebBody(response);
    else if (contentType.startsWith("application/grpc")) patchGrpcHeaders(response);
    else if (contentType.startsWith("application/connect+")) patchConnectEndStream(response);
    // Connect unary: protobuf can fail to parse, and any body can fail to decompress; plain JSON
    // faults are already answered invalid_argument, so those responses are left unwrapped.
    else if (contentType.startsWith("application/proto") || request.method === "GET" || isCompressed(request)) patchConnectErrorBody(response);
    handler(request, response);
  };
}

function patchGrpcHeaders(response: NodeResponse): void {
  const writeHead = response.writeHead;
  response.writeHead = function (this: NodeResponse, status: number, ...rest: unknown[]) {
    for (const arg of rest) if (typeof arg === "object" && arg !== null) fixGrpcStatus(arg as OutgoingHttpHeaders);
    return (writeHead as (...args: unknown[]) => NodeResponse).call(this, status, ...rest);
  } as typeof response.writeHead;
  const addTrailers = response.addTrailers;
  response.addTrailers = function (this: NodeResponse, trailers: OutgoingHttpHeaders) {
    fixGrpcStatus(trailers);
    return addTrailers.call(this as never, trailers as never);
  } as typeof response.addTrailers;
}

function fixGrpcStatus(headers: OutgoingHttpHeaders): void {
  const value = headers["grpc-message"];
  if (typeof value !== "string") return;
  const message = safeDecode(value);
  if (message === undefined) return;
  headers["grpc-message"] = encodeGrpcMessage(message);
  if (headers["grpc-status"] === GRPC_INTERNAL && isClientMistake(message)) {
    headers["grpc-status"] = GRPC_INVALID_ARGUMENT;
  }
}

/** gRPC-Web carries trailers in a body frame whose flag byte is 0x80. */
function patchGrpcWebBody(response: NodeResponse): void {
  const rewrite = (chunk: unknown): unknown => {
    if (!(chunk instanceof Uint8Array) || chunk[0] !== 0x80) return chunk;
    const text = Buffer.from(chunk.subarray(5)).toString("latin1");
    const message = safeDecode(/^grpc-message: ?(.*?)\r?$/m.exec(text)?.[1] ?? "");
    if (!/^grpc-status: ?13\r?$/m.test(text) || message === undefined || !isClientMistake(message)) return chunk;
    return envelope(Buffer.from(text.replace(/^grpc-status: ?13/m, `grpc-status: ${GRPC_INVALID_ARGUMENT}`), "latin1"), 0x80);
  };
  patchBodyWrites(response, rewrite);
}

/**
 * Connect errors are a JSON body, {"code": "internal", "message": "parse binary: ..."}, written
 * after a head that already states status 500 and the length: the head and body of a 500
 * are held until the end shows whether they need correcting. Errors are small.
 */
function patchConnectErrorBody(response: NodeResponse): void {
  const writeHead = response.writeHead as (...args: unknown[]) => NodeResponse;
  const write = response.write as (...args: unknown[]) => boolean;
  const end = response.end as (...args: unknown[]) => NodeResponse;
  let heldHead: unknown[] | undefined;
  const heldBody: Buffer[] = [];
  response.writeHead = function (this: NodeResponse, ...args: unknown[]) {
    if (args[0] !== 500) return writeHead.apply(this, args);
    heldHead = args;
    return this;
  } as typeof response.writeHead;
  response.write = function (this: NodeResponse, chunk: unknown, ...rest: unknown[]) {
    if (heldHead === undefined) return write.call(this, chunk, ...rest);
    heldBody.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback) process.nextTick(callback);
    return true;
  } as typeof response.write;
  response.end = function (this: NodeResponse, ...args: unknown[]) {
    if (heldHead === undefined) return end.apply(this, args);
    if (args[0] instanceof Uint8Array || typeof args[0] === "string") heldBody.push(Buffer.from(args.shift() as Uint8Array));
    let body = Buffer.concat(heldBody);
    let status = 500;
    const text = body.toString("utf8");
    if (jsonNamesClientMistake(text)) {
      status = 400;
      body = Buffer.from(text.replace('"code":"internal"', '"code":"invalid_argument"'));
    }
    const [, ...headArgs] = heldHead;
    heldHead = undefined;
    for (const arg of headArgs) {
      if (typeof arg !== "object" || arg === null) continue;
      const headers = arg as OutgoingHttpHeaders;
      for (const name of Object.keys(headers)) if (name.toLowerCase() === "content-length") headers[name] = String(body.length);
    }
    writeHead.call(this, status, ...headArgs);
    return end.call(this, body, ...args.filter((arg) => typeof arg === "function"));
  } as typeof response.end;
}

/**
 * Connect streams end with a message flagged 0x02 whose JSON holds the error, in the body of
 * a 200 response: {"error": {"code": "internal", "message": "parse binary: ..."}}.
 */
function patchConnectEndStream(response: NodeResponse): void {
  patchBodyWrites(response, (chunk) => {
    if (!(chunk instanceof Uint8Array) || chunk.length < 5 || chunk[0] !== 0x02) return chunk;
    const text = Buffer.from(chunk.subarray(5)).toString("utf8");
    if (!text.includes('"code":"internal"') || !jsonNamesClientMistake(text)) return chunk;
    return envelope(Buffer.from(text.replace('"code":"internal"', '"code":"invalid_argument"')), 0x02);
  });
}

function patchBodyWrites(response: NodeResponse, rewrite: (chunk: unknown) => unknown): void {
  const write = response.write;
  const end = response.end;
  response.write = function (this: NodeResponse, chunk: unknown, ...rest: unknown[]) {
    return (write as (...args: unknown[]) => boolean).call(this, rewrite(chunk), ...rest);
  } as typeof response.write;
  response.end = function (this: NodeResponse, chunk?: unknown, ...rest: unknown[]) {
    const fixed = typeof chunk === "function" || chunk === undefined ? chunk : rewrite(chunk);
    return (end as (...args: unknown[]) => NodeResponse).call(this, fixed, ...rest);
  } as typeof response.end;
}

function isCompressed(request: NodeRequest): boolean {
  const encoding = request.headers["content-encoding"];
  return encoding !== undefined && encoding !== "identity";
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

import { Code, ConnectError } from "@connectrpc/connect";
import type { Readable } from "node:stream";
import type { NodeRequest } from "./node-handler.js";

/** What was read: the request's bytes, or why there are none to use. */
export type BodyResult = { bytes: Uint8Array; error?: undefined } | { bytes?: undefined; error: ConnectError };

/**
 * Reads a whole request body of at most `readMaxBytes` (a Connect unary request: the message
 * itself). A Content-Length over the limit is refused before a byte is read. Worded as
 * connect's `readAllBytes` words it. Once refused, the request is paused; the rest of the body
 * is for the unread-body layer (unread-body.ts) to drain or reset after the answer.
 */
export function readWholeBody(request: NodeRequest, readMaxBytes: number, done: (result: BodyResult) => void): void {
  const hint = lengthHint(request.headers["content-length"]);
  if (hint !== undefined && hint > readMaxBytes) {
    return refuse(request, done, new ConnectError(`message size ${hint} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted));
  }
  const chunks: Buffer[] = [];
  let received = 0;
  collect(request, done, (chunk) => {
    received += chunk.length;
    if (hint !== undefined && received > hint) return new ConnectError(`protocol error: promised ${hint} bytes, received ${received}`, Code.InvalidArgument);
    if (received > readMaxBytes) return new ConnectError(`message size is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
    chunks.push(chunk);
    return undefined;
  }, () => {
    if (hint !== undefined && received < hint) return { error: new ConnectError(`protocol error: promised ${hint} bytes, received ${received}`, Code.InvalidArgument) };
    return { bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received) };
  });
}

export interface EnvelopeReadOptions {
  readMaxBytes: number;
  /** The flag of an envelope that ends the request stream in this protocol, skipped as connect skips it: 0x80 for gRPC-Web trailers, 0x02 for Connect's end-of-stream. Default: none (gRPC). */
  endFlag?: number;
  /** "unary" or "server-streaming", for connect's wording of a missing or extra message. */
  methodKind: string;
}

/**
 * Reads the one enveloped message of a gRPC, gRPC-Web or Connect streaming request: a flags
 * byte, a 4-byte length, the bytes. As connect-node reads envelopes, one after the other: an
 * announced size over the limit, a compressed message or a second message is refused as soon as
 * it is seen; a missing message or a cut-off envelope at the end. Each message is copied into
 * one buffer of its announced size as it arrives, so a million tiny DATA frames cost no more
 * memory than one.
 */
export function readOneEnvelope(request: Readable, options: EnvelopeReadOptions, done: (result: BodyResult) => void): void {
  const { readMaxBytes, endFlag, methodKind } = options;
  const prefix = Buffer.alloc(5);
  let prefixFilled = 0;
  let payload: Buffer | undefined;
  let payloadFilled = 0;
  let message: Buffer | undefined;
  const take = (chunk: Buffer): ConnectError | undefined => {
    let offset = 0;
    while (offset < chunk.length) {
      if (payload === undefined) {
        const n = Math.min(5 - prefixFilled, chunk.length - offset);
        chunk.copy(prefix, prefixFilled, offset, offset + n);
        prefixFilled += n;
        offset += n;
        if (prefixFilled < 5) return undefined;
        const length = prefix.readUInt32BE(1);
        if (length > readMaxBytes) return new ConnectError(`message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
        payload = Buffer.allocUnsafe(length);
        payloadFilled = 0;
      }
      const n = Math.min(payload.length - payloadFilled, chunk.length - offset);
      chunk.copy(payload, payloadFilled, offset, offset + n);
      payloadFilled += n;
      offset += n;
      if (payloadFilled === payload.length) {
        const flags = prefix[0] as number;
        const ends = endFlag !== undefined && (flags & endFlag) === endFlag;
        if (!ends) {
          if (message !== undefined) return new ConnectError(`protocol error: received extra input message for ${methodKind} method`, Code.Unimplemented);
          // Worded as connect-node words it; the caller's fault, so INVALID_ARGUMENT (wire-status.ts).
          if ((flags & 0b1) === 0b1) return new ConnectError("received compressed envelope, but do not know how to decompress", Code.InvalidArgument);
          message = payload;
        }
        payload = undefined;
        prefixFilled = 0;
      }
    }
    return undefined;
  };
  collect(request, done, take, () => {
    if (payload !== undefined || prefixFilled > 0) return { error: new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument) };
    if (message === undefined) return { error: new ConnectError(`protocol error: missing input message for ${methodKind} method`, Code.Unimplemented) };
    return { bytes: message };
  });
}

function collect(request: Readable, done: (result: BodyResult) => void, take: (chunk: Buffer) => ConnectError | undefined, finish: () => BodyResult): void {
  let settled = false;
  const settle = (result: BodyResult) => {
    if (settled) return;
    settled = true;
    request.off("data", onData);
    request.off("end", onEnd);
    request.off("error", onGone);
    request.off("close", onGone);
    done(result);
  };
  const onData = (chunk: Buffer) => {
    const error = take(chunk);
    if (error !== undefined) {
      settle({ error });
      request.pause();
    }
  };
  const onEnd = () => settle(finish());
  const onGone = () => settle({ error: new ConnectError("operation was canceled", Code.Canceled) });
  request.on("data", onData);
  request.once("end", onEnd);
  request.once("error", onGone);
  request.once("close", onGone);
}

function refuse(request: Readable, done: (result: BodyResult) => void, error: ConnectError): void {
  request.pause();
  done({ error });
}

function lengthHint(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

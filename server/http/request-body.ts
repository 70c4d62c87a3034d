import { Code, ConnectError } from "@connectrpc/connect";
import type { Readable } from "node:stream";
import { closeIsRelayed, unwatchClose, watchClose } from "./stream-close.js";

/** What was read: the request's bytes, or why there are none to use. */
export type BodyResult = { bytes: Uint8Array; error?: undefined } | { bytes?: undefined; error: ConnectError };

/**
 * Reads a whole request body of at most `readMaxBytes` (a Connect unary request: the message
 * itself). A Content-Length over the limit is refused before a byte is read. Worded as
 * connect's `readAllBytes` words it. Once refused, the request is paused; the rest of the body
 * is for the unread-body layer (unread-body.ts) to drain or reset after the answer.
 */
export function readWholeBody(request: Readable, contentLength: string | undefined, readMaxBytes: number, done: (result: BodyResult) => void): void {
  const hint = lengthHint(contentLength);
  if (hint !== undefined && hint > readMaxBytes) {
    return refuse(request, done, new ConnectError(`message size ${hint} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted));
  }
  const chunks: Buffer[] = [];
  let received = 0;
  collect(request, done, {
    take(chunk) {
      received += chunk.length;
      if (hint !== undefined && received > hint) return new ConnectError(`protocol error: promised ${hint} bytes, received ${received}`, Code.InvalidArgument);
      if (received > readMaxBytes) return new ConnectError(`message size is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
      chunks.push(chunk);
      return undefined;
    },
    finish() {
      if (hint !== undefined && received < hint) return { error: new ConnectError(`protocol error: promised ${hint} bytes, received ${received}`, Code.InvalidArgument) };
      return { bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received) };
    },
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
  const reader = new EnvelopeReader(options);
  collect(request, done, reader);
}

/** How a body is read: each chunk taken (an error stops the reading), then the result at its end. */
interface BodyTaker {
  take(chunk: Buffer): ConnectError | undefined;
  finish(): BodyResult;
}

/** readOneEnvelope's state, as an object: a call reads its request with no closure per field. */
class EnvelopeReader implements BodyTaker {
  private readonly readMaxBytes: number;
  private readonly endFlag: number | undefined;
  private readonly methodKind: string;
  // Made only when a chunk ends inside an envelope's 5-byte prefix; most prefixes arrive whole.
  private prefix: Buffer | undefined;
  private prefixFilled = 0;
  private flags = 0;
  private payload: Buffer | undefined;
  private payloadFilled = 0;
  private message: Buffer | undefined;

  constructor(options: EnvelopeReadOptions) {
    this.readMaxBytes = options.readMaxBytes;
    this.endFlag = options.endFlag;
    this.methodKind = options.methodKind;
  }

  take(chunk: Buffer): ConnectError | undefined {
    let offset = 0;
    while (offset < chunk.length) {
      let payload = this.payload;
      if (payload === undefined) {
        let length: number;
        if (this.prefixFilled === 0 && chunk.length - offset >= 5) {
          this.flags = chunk[offset] as number;
          length = chunk.readUInt32BE(offset + 1);
          offset += 5;
        } else {
          const prefix = (this.prefix ??= Buffer.allocUnsafe(5));
          const n = Math.min(5 - this.prefixFilled, chunk.length - offset);
          chunk.copy(prefix, this.prefixFilled, offset, offset + n);
          this.prefixFilled += n;
          offset += n;
          if (this.prefixFilled < 5) return undefined;
          this.flags = prefix[0] as number;
          length = prefix.readUInt32BE(1);
        }
        if (length > this.readMaxBytes) return new ConnectError(`message size ${length} is larger than configured readMaxBytes ${this.readMaxBytes}`, Code.ResourceExhausted);
        payload = this.payload = Buffer.allocUnsafe(length);
        this.payloadFilled = 0;
      }
      const n = Math.min(payload.length - this.payloadFilled, chunk.length - offset);
      chunk.copy(payload, this.payloadFilled, offset, offset + n);
      this.payloadFilled += n;
      offset += n;
      if (this.payloadFilled === payload.length) {
        const flags = this.flags;
        const ends = this.endFlag !== undefined && (flags & this.endFlag) === this.endFlag;
        if (!ends) {
          if (this.message !== undefined) return new ConnectError(`protocol error: received extra input message for ${this.methodKind} method`, Code.Unimplemented);
          // Worded as connect-node words it; the caller's fault, so INVALID_ARGUMENT (wire-status.ts).
          if ((flags & 0b1) === 0b1) return new ConnectError("received compressed envelope, but do not know how to decompress", Code.InvalidArgument);
          this.message = payload;
        }
        this.payload = undefined;
        this.prefixFilled = 0;
      }
    }
    return undefined;
  }

  finish(): BodyResult {
    if (this.payload !== undefined || this.prefixFilled > 0) return { error: new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument) };
    if (this.message === undefined) return { error: new ConnectError(`protocol error: missing input message for ${this.methodKind} method`, Code.Unimplemented) };
    return { bytes: this.message };
  }
}

function collect(request: Readable, done: (result: BodyResult) => void, taker: BodyTaker): void {
  let settled = false;
  // An error destroys the request, and a relayed close follows (stream-close.ts): no "error" listener then.
  const watchesError = !closeIsRelayed(request);
  const settle = (result: BodyResult) => {
    if (settled) return;
    settled = true;
    request.off("data", onData);
    request.off("end", onEnd);
    if (watchesError) request.off("error", onGone);
    unwatchClose(request, onGone);
    done(result);
  };
  const onData = (chunk: Buffer) => {
    const error = taker.take(chunk);
    if (error !== undefined) {
      settle({ error });
      request.pause();
    }
  };
  const onEnd = () => settle(taker.finish());
  const onGone = () => settle({ error: new ConnectError("operation was canceled", Code.Canceled) });
  // `on`, not `once`: settle removes them all, and `once` would add a wrapper for each.
  request.on("data", onData);
  request.on("end", onEnd);
  if (watchesError) request.on("error", onGone);
  watchClose(request, onGone);
}

function refuse(request: Readable, done: (result: BodyResult) => void, error: ConnectError): void {
  request.pause();
  done({ error });
}

function lengthHint(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

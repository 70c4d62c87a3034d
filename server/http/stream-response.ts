import type { OutgoingHttpHeaders } from "node:http";
import type { ServerHttp2Stream } from "node:http2";
import type { FrameTarget } from "./frame-batch.js";
import { releaseUnreadStream } from "./unread-body.js";
import { withUniqueFieldsUnindexed } from "./unique-header-fields.js";

/**
 * The part of Node's response the web lean path writes to (web-lean-path.ts): a ServerResponse
 * on HTTP/1.1, or a bare HTTP/2 stream through `streamResponse`.
 */
export interface WebResponse extends FrameTarget {
  readonly headersSent: boolean;
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  end(chunk?: Uint8Array): unknown;
  on(event: "drain" | "close", listener: () => void): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  removeListener(event: "close", listener: () => void): unknown;
}

/**
 * An HTTP/2 stream as a WebResponse: what Node's compatibility layer would do for the few calls
 * the lean path makes, without its request and response objects and their listeners.
 * `extraHeaders` join every head, under the head's own (as headers set before writeHead do):
 * the CORS headers of an allowed origin.
 */
export function streamResponse(stream: ServerHttp2Stream, extraHeaders: OutgoingHttpHeaders | undefined): WebResponse {
  return new StreamResponse(stream, extraHeaders);
}

class StreamResponse implements WebResponse {
  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly extraHeaders: OutgoingHttpHeaders | undefined,
  ) {}

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  get writableEnded(): boolean {
    return this.stream.writableEnded;
  }

  get writableNeedDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  get destroyed(): boolean {
    return this.stream.destroyed;
  }

  writeHead(status: number, headers: OutgoingHttpHeaders): void {
    if (this.stream.destroyed || this.stream.headersSent) return;
    const extra = this.extraHeaders;
    if (extra !== undefined) for (const name in extra) headers[name] ??= extra[name];
    headers[":status"] = status;
    // Ended by empty trailers (nghttp2 sends them as an empty DATA frame with END_STREAM), not by
    // the last write: a stream closed that way is destroyed before that write's callback, and
    // Node then builds an ERR_STREAM_DESTROYED error (and its stack trace) for nobody, 14% of a
    // call's CPU time.
    this.stream.respond(withUniqueFieldsUnindexed(headers), { waitForTrailers: true });
    this.stream.on("wantTrailers", sendNoTrailers); // "wantTrailers" comes once
  }

  write(chunk: Buffer): boolean {
    return this.stream.write(chunk);
  }

  end(chunk?: Uint8Array): void {
    if (this.stream.destroyed) return;
    this.stream.end(chunk);
    // An answer before the whole request arrived (a refused size, a malformed deadline).
    if (!this.stream.readableEnded) releaseUnreadStream(this.stream);
  }

  on(event: "drain" | "close", listener: () => void): this {
    this.stream.on(event, listener);
    return this;
  }

  once(event: "drain" | "close", listener: () => void): this {
    this.stream.once(event, listener);
    return this;
  }

  off(event: "drain" | "close", listener: () => void): this {
    this.stream.off(event, listener);
    return this;
  }

  removeListener(event: "close", listener: () => void): this {
    this.stream.removeListener(event, listener);
    return this;
  }
}

const NO_TRAILERS = {};

function sendNoTrailers(this: ServerHttp2Stream): void {
  this.sendTrailers(NO_TRAILERS);
}

import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type FrameWriter, hasPendingFrames, joinedFrames } from "./frame-batch.js";

/** What Node's HTTP/1.1 response keeps of its own state, read here (not part of its typed API). */
interface ResponseInternals {
  /** True once the head has been written to the socket (`headersSent` is true as soon as it is made). */
  _headerSent?: boolean;
  /** Writes the response holds back because its socket is not yet (or no longer) its own. */
  outputData?: unknown[];
  chunkedEncoding?: boolean;
}

const CRLF = Buffer.from("\r\n", "latin1");

/**
 * The last frames and their chunk: a live event fanned out to many subscribers is one frame for
 * all of them, and the events a fan-out deferred (frame-batch.ts) are the same few frames for most.
 */
const last = { frames: undefined as Buffer | readonly Buffer[] | undefined, chunk: CRLF };

/**
 * Writes message frames of a live stream (one, or several in order) as one HTTP/1.1 chunk
 * ("size CRLF frames CRLF"), straight to the response's socket, and returns the socket's
 * answer; undefined when that cannot be done (the head is not out, the response is not
 * chunked, it holds writes of its own, frames are pending): then the caller writes through the
 * response.
 *
 * Why: a note fanned out to 10,000 HTTP/1.1 subscribers is 10,000 writes in one turn, and
 * through the response each costs two process.nextTick callbacks (the frame batch, Node's
 * cork/uncork) and a three-part writev (chunk size, frame, CRLF). The bytes on the wire are the
 * same as the response would write; its end still writes the last chunk.
 */
export function writeChunkToSocket(response: ServerResponse, frames: Buffer | readonly Buffer[]): boolean | undefined {
  const socket = response.socket as (Socket & { _httpMessage?: unknown }) | null;
  const internals = response as ServerResponse & ResponseInternals;
  if (
    socket === null ||
    socket._httpMessage !== response ||
    !socket.writable ||
    internals._headerSent !== true ||
    internals.chunkedEncoding !== true ||
    (internals.outputData?.length ?? 1) !== 0 ||
    response.writableEnded ||
    hasPendingFrames(response)
  ) {
    return undefined;
  }
  if (!sameFrames(last.frames, frames)) {
    const parts = Buffer.isBuffer(frames) ? [frames] : frames;
    const bytes = parts.reduce((sum, part) => sum + part.byteLength, 0);
    last.chunk = Buffer.concat([Buffer.from(`${bytes.toString(16)}\r\n`, "latin1"), ...parts, CRLF]);
    last.frames = frames;
  }
  if (socket.write(last.chunk)) return true;
  // The response emits "drain" only after its own writes filled the socket: pass the socket's on.
  socket.once("drain", () => response.emit("drain"));
  return false;
}

function sameFrames(a: Buffer | readonly Buffer[] | undefined, b: Buffer | readonly Buffer[]): boolean {
  if (a === b) return true;
  if (a === undefined || Buffer.isBuffer(a) || Buffer.isBuffer(b) || a.length !== b.length) return false;
  return a.every((frame, index) => frame === b[index]);
}

/**
 * A live stream's frames on HTTP/1.1 (frame-batch.ts writeFrameNow): chunks straight to the
 * socket where writeChunkToSocket can, through the response otherwise. Full when the response
 * or its socket is: writeChunkToSocket passes the socket's "drain" on to the response.
 */
export const http1ChunkWriter: FrameWriter = {
  write(target, frames) {
    const response = target as ServerResponse;
    return writeChunkToSocket(response, frames) ?? response.write(joinedFrames(frames));
  },
  full(target) {
    const response = target as ServerResponse;
    return response.writableNeedDrain || response.socket?.writableNeedDrain === true;
  },
};

import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { hasPendingFrames } from "./frame-batch.js";

/** What Node's HTTP/1.1 response keeps of its own state, read here (not part of its typed API). */
interface ResponseInternals {
  /** True once the head has been written to the socket (`headersSent` is true as soon as it is made). */
  _headerSent?: boolean;
  /** Writes the response holds back because its socket is not yet (or no longer) its own. */
  outputData?: unknown[];
  chunkedEncoding?: boolean;
}

const CRLF = Buffer.from("\r\n", "latin1");

/** The last frame and its chunk: a live event fanned out to many subscribers is one frame for all of them. */
const last = { frame: undefined as Buffer | undefined, chunk: CRLF };

/**
 * Writes one message frame of a live stream as one HTTP/1.1 chunk ("size CRLF frame CRLF"),
 * straight to the response's socket, and returns the socket's answer; undefined when that
 * cannot be done (the head is not out, the response is not chunked, it holds writes of its own,
 * frames are pending): then the caller writes through the response.
 *
 * Why: a note fanned out to 10,000 HTTP/1.1 subscribers is 10,000 writes in one turn, and
 * through the response each costs two process.nextTick callbacks (the frame batch, Node's
 * cork/uncork) and a three-part writev (chunk size, frame, CRLF). The bytes on the wire are the
 * same as the response would write; its end still writes the last chunk.
 */
export function writeChunkToSocket(response: ServerResponse, frame: Buffer): boolean | undefined {
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
  if (last.frame !== frame) {
    last.chunk = Buffer.concat([Buffer.from(`${frame.byteLength.toString(16)}\r\n`, "latin1"), frame, CRLF]);
    last.frame = frame;
  }
  if (socket.write(last.chunk)) return true;
  // The response emits "drain" only after its own writes filled the socket: pass the socket's on.
  socket.once("drain", () => response.emit("drain"));
  return false;
}

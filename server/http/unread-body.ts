import type { IncomingMessage, ServerResponse } from "node:http";
import { constants, type Http2ServerRequest, type ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import type { NodeHandler } from "./node-handler.js";
export interface UnreadBodyOptions {
  /** HTTP/1.1: most bytes read and thrown away after an early answer; past it the connection is closed. Default: 16 MiB. */
  maxDrainBytes?: number;
}

/**
 * connect-node stops reading a request once it has answered it early, e.g. with
 * RESOURCE_EXHAUSTED for a message over the size limit, and leaves the rest of the body
 * unread. On HTTP/1.1 the connection then serves nothing else (the client's next call on it
 * waits for the request timeout's 408). On HTTP/2 the client blocks on flow control.
 *
 * So once the answer has gone out: HTTP/1.1 reads the rest of the body and throws it away (up
 * to `maxDrainBytes`, then closes), and the connection serves the next call (closing it
 * instead would make the client's write fail before it reads the answer); HTTP/2 resets the
 * stream with NO_ERROR, which tells a gRPC client to stop sending.
 */
export function withUnreadBodyRelease(handler: NodeHandler, options: UnreadBodyOptions = {}): NodeHandler {
  const maxDrainBytes = options.maxDrainBytes ?? 16 * 1024 * 1024;
  // Shared listeners, with what they need kept on the objects they listen to: no closure or
  // once-wrapper per request ("finish" comes once).
  function drainOnceAnswered(this: ServerResponse & Unread): void {
    const request = this[unreadRequest] as IncomingMessage;
    const socket = this[unreadSocket];
    if (request.complete) return;
    // The socket's parser reads the rest of the body once the socket flows. Marked dumped (Node's
    // own way of discarding a body nobody reads), the request no longer takes the bytes, which
    // would pause the socket again when its buffer filled.
    (request as IncomingMessage & { _dump?: () => void })._dump?.();
    if (socket === null || socket === undefined || socket.destroyed) return;
    let drained = 0;
    // Node's parser reads each chunk before this listener sees it, so `complete` tells when the
    // body has ended and later bytes belong to the next request.
    const count = (chunk: Buffer) => {
      drained += chunk.length;
      if (request.complete) socket.off("data", count);
      else if (drained > maxDrainBytes) socket.destroy();
    };
    socket.on("data", count);
    socket.resume();
  }
  return (request, response) => {
    if ("stream" in request) {
      // The compatibility response emits "finish" only once the stream has closed, which an
      // unread request keeps from happening: the stream's writable side says when the answer is
      // written. The reset must not overtake the status (nghttp2 sends RST_STREAM before frames
      // not yet handed to it, and the trailers go out a turn or more later), so it waits until
      // our side of the stream is closed (END_STREAM out), for a bounded number of turns.
      (request.stream as ServerHttp2Stream & Unread)[unreadRequest] = request;
      request.stream.on("finish", resetOnceFinished);
      handler(request, response);
      return;
    }
    // Taken now: by the time the response has finished, Node has detached it from the request.
    const unread = response as ServerResponse & Unread;
    unread[unreadRequest] = request;
    unread[unreadSocket] = request.socket;
    unread.on("finish", drainOnceAnswered);
    handler(request, response);
  };
}

const unreadRequest = Symbol("unread-body request");
const unreadSocket = Symbol("unread-body socket");
interface Unread {
  [unreadRequest]?: IncomingMessage | Http2ServerRequest;
  [unreadSocket]?: Socket | null;
}

/**
 * The same release for an HTTP/2 stream served without the compatibility layer (a lean path
 * claimed it) and answered before its request ended: reset with NO_ERROR once the answer is out.
 */
export function releaseUnreadStream(stream: ServerHttp2Stream): void {
  stream.on("finish", resetOnceFinished);
}

function resetOnceFinished(this: ServerHttp2Stream & Unread): void {
  setImmediate(resetOnceAnswered, this, 1_000);
}

function resetOnceAnswered(stream: ServerHttp2Stream & Unread, turnsLeft: number): void {
  const request = stream[unreadRequest];
  if ((request === undefined ? stream.readableEnded : request.complete) || stream.destroyed) return;
  if (stream.state.localClose !== 1 && turnsLeft > 0) return void setImmediate(resetOnceAnswered, stream, turnsLeft - 1);
  stream.close(constants.NGHTTP2_NO_ERROR);
}

import { constants, type Http2ServerRequest, type ServerHttp2Stream } from "node:http2";
import type { NodeHandler } from "./node-handler.js";
import { createStallSweeper, type StallSweeper } from "./stall-sweeper.js";

/**
 * Resets an HTTP/2 stream whose request body has not ended `timeoutMs` after it began, for the
 * given paths (methods whose request is one message: unary and server-streaming). A client
 * that stalls its upload would otherwise hold the stream, and the connection, for ever.
 * Client-streaming and bidi calls are left alone: their requests are meant to stay open.
 * HTTP/1.1 needs none of this: Node's requestTimeout covers it.
 */
export function withRequestBodyTimeout(handler: NodeHandler, paths: ReadonlySet<string>, timeoutMs: number): NodeHandler {
  const stalls = createStallSweeper<Http2ServerRequest>(timeoutMs, (request) => {
    if (!request.complete && !request.stream.destroyed) request.stream.close(constants.NGHTTP2_CANCEL);
  });
  // Shared listeners (each event comes once), no closure per request.
  function unwatchRequest(this: Http2ServerRequest): void {
    stalls.unwatch(this);
  }
  return (request, response) => {
    if ("stream" in request && !request.complete && paths.has((request.url ?? "").split("?")[0] as string)) {
      stalls.watch(request);
      request.on("end", unwatchRequest);
      request.on("close", unwatchRequest);
    }
    handler(request, response);
  };
}

/**
 * The same reset for the bare HTTP/2 streams a lean path claims (they never become requests):
 * the path watches each stream from its headers and unwatches it once the body has been read.
 */
export function createStalledStreamReset(timeoutMs: number): StallSweeper<ServerHttp2Stream> {
  return createStallSweeper<ServerHttp2Stream>(timeoutMs, resetStalled);
}

function resetStalled(stream: ServerHttp2Stream): void {
  if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
}

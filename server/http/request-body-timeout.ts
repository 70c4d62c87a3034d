import { constants } from "node:http2";
import type { NodeHandler } from "./node-handler.js";
import { createStallSweeper } from "./stall-sweeper.js";

/**
 * Resets an HTTP/2 stream whose request body has not ended `timeoutMs` after it began, for the
 * given paths (methods whose request is one message: unary and server-streaming). A client
 * that stalls its upload would otherwise hold the stream, and the connection, for ever.
 * Client-streaming and bidi calls are left alone: their requests are meant to stay open.
 * HTTP/1.1 needs none of this: Node's requestTimeout covers it.
 */
export function withRequestBodyTimeout(handler: NodeHandler, paths: ReadonlySet<string>, timeoutMs: number): NodeHandler {
  const stalls = createStallSweeper(timeoutMs);
  return (request, response) => {
    if ("stream" in request && !request.complete && paths.has((request.url ?? "").split("?")[0] as string)) {
      const stream = request.stream;
      const unwatch = stalls.watch(() => {
        if (!request.complete && !stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
      });
      request.once("end", unwatch);
      stream.once("close", unwatch);
    }
    handler(request, response);
  };
}

import type { NodeHandler } from "./node-handler.js";
/**
 * connect-node writes a stream's messages and, when a write says the buffer is full, waits for
 * "drain" or "error". If the client's connection dies at that moment, Node's HTTP/1.1 response
 * emits neither and drops the write's callback, so the call waits for ever: its handler is
 * never resumed, and a live subscription (Chat, notes) stays in the hub with nobody to deliver
 * to (the soak found 31 after ten minutes). When the response closes, "drain" is emitted: the
 * waiting write resumes, the next one fails because the response is destroyed, and the call
 * ends and releases what it held. Harmless when nothing waits.
 */
export function withWritesReleasedOnClose(handler: NodeHandler): NodeHandler {
  return (request, response) => {
    // One shared listener, no closure or once-wrapper per request: "close" comes once.
    response.on("close", emitDrain);
    handler(request, response);
  };
}

function emitDrain(this: { emit(event: "drain"): unknown }): void {
  this.emit("drain");
}

import type { Interceptor, StreamResponse, UnaryResponse } from "@connectrpc/connect";
import { transportInfoKey } from "../http/transport-info.js";
import { tooMany } from "./retry-info.js";
import { wrapStream } from "../lib/push-stream.js";

/**
 * Caps the streaming calls (subscriptions, RouteChat, Chat, RecordRoute, ListUsers, health
 * Watch) open at once on one connection: past `max`, a new one gets RESOURCE_EXHAUSTED. HTTP/2's own
 * SETTINGS_MAX_CONCURRENT_STREAMS bounds all calls on a connection; this lower bound is for
 * the long-lived ones, which each hold a hub subscription and buffers for as long as they last.
 */
export function limitStreamsPerConnection(max: number): Interceptor {
  const open = new WeakMap<object, number>();
  // Not async: unary calls pass straight through, without another promise per call.
  return (next) => (request) => {
    if (request.method.methodKind === "unary") return next(request);
    const connection = request.contextValues.get(transportInfoKey)?.connection;
    if (connection === undefined) return next(request);
    return openStream(connection, () => next(request));
  };

  async function openStream(connection: object, call: () => Promise<UnaryResponse | StreamResponse>): Promise<UnaryResponse | StreamResponse> {
    const count = open.get(connection) ?? 0;
    if (count >= max) {
      throw tooMany(`this connection already has ${count} open streams, the most allowed; close one or open another connection`, 1_000);
    }
    open.set(connection, count + 1);
    const slot = new StreamSlot(open, connection);
    try {
      const response = await call();
      if (!response.stream) return (slot.onEnd(), response);
      return { ...response, message: wrapStream(response.message, slot) };
    } catch (error) {
      slot.onEnd();
      throw error;
    }
  }
}

/** One open stream's place in its connection's count, given back once; the stream's hooks (onEnd). */
class StreamSlot {
  private released = false;

  constructor(
    private readonly open: WeakMap<object, number>,
    private readonly connection: object,
  ) {}

  onEnd(): void {
    if (this.released) return;
    this.released = true;
    const left = (this.open.get(this.connection) ?? 1) - 1;
    if (left === 0) this.open.delete(this.connection);
    else this.open.set(this.connection, left);
  }
}

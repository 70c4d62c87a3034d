/** One RPC as the network panel shows it. */
export interface CallRecord {
  id: string;
  /** "userservice.UserService/ListUsers" */
  method: string;
  protocol: string;
  /** "pending" while open, then the gRPC code name ("ok", "unavailable", "canceled", ...). */
  status: string;
  /** Request body bytes sent. */
  requestBytes: number;
  /** Response body bytes received so far (framing included). */
  responseBytes: number;
  /** Response messages received so far. */
  messages: number;
  /** Milliseconds from the call's start to its first response message; undefined until one arrives. */
  firstMessageMs?: number;
  /** Milliseconds from start to end; undefined while open. */
  durationMs?: number;
  startedAt: number;
}

export interface NetworkLog {
  start(call: Pick<CallRecord, "method" | "protocol">): string;
  update(id: string, change: Partial<CallRecord>): void;
  addBytes(id: string, kind: "requestBytes" | "responseBytes", bytes: number): void;
  /** Ends the call once; later ends (e.g. a cancel after an error) are ignored. */
  finish(id: string, status: string): void;
  get(id: string): CallRecord | undefined;
  clear(): void;
  /** Newest first; a new array after every change (for useSyncExternalStore). */
  snapshot(): readonly CallRecord[];
  subscribe(listener: () => void): () => void;
}

export interface NetworkLogOptions {
  /** Calls kept; older ones drop off. Default: 200. */
  limit?: number;
  /** Default: performance.now. */
  now?: () => number;
}

/**
 * The calls the page made, newest first. Listeners are notified at most once per animation
 * frame, so a stream of 10,000 messages does not re-render the panel 10,000 times.
 */
export function createNetworkLog(options: NetworkLogOptions = {}): NetworkLog {
  const limit = options.limit ?? 200;
  const now = options.now ?? (() => performance.now());
  const calls = new Map<string, CallRecord>();
  const listeners = new Set<() => void>();
  let snapshot: readonly CallRecord[] = [];
  let nextId = 1;
  let scheduled = false;

  function changed(): void {
    if (scheduled) return;
    scheduled = true;
    const flush = () => {
      scheduled = false;
      snapshot = [...calls.values()].reverse().map((call) => ({ ...call }));
      for (const listener of listeners) listener();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(flush);
    else queueMicrotask(flush);
  }

  return {
    start(call) {
      const id = `web-${Date.now().toString(36)}-${nextId++}`;
      calls.set(id, { ...call, id, status: "pending", requestBytes: 0, responseBytes: 0, messages: 0, startedAt: now() });
      while (calls.size > limit) calls.delete(calls.keys().next().value as string);
      changed();
      return id;
    },
    update(id, change) {
      const call = calls.get(id);
      if (call === undefined) return;
      Object.assign(call, change);
      changed();
    },
    addBytes(id, kind, bytes) {
      const call = calls.get(id);
      if (call === undefined) return;
      call[kind] += bytes;
      changed();
    },
    finish(id, status) {
      const call = calls.get(id);
      if (call === undefined || call.status !== "pending") return;
      call.status = status;
      call.durationMs = now() - call.startedAt;
      changed();
    },
    get: (id) => calls.get(id),
    clear() {
      calls.clear();
      changed();
    },
    snapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

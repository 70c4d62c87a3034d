import type { ConnectError } from "@connectrpc/connect";

/**
 * Fan-out of live events (route notes, chat messages) to every open stream. Handlers only see
 * this interface: in-process by default, Redis pub/sub (redis-hub.ts) for several replicas.
 */
export interface LiveHub<T> {
  /** Delivers the event to every current subscriber. Rejects UNAVAILABLE if the hub is unreachable. */
  publish(event: T): Promise<void>;
  /**
   * Registers a listener; returns the function that removes it. Throws UNAVAILABLE while the hub
   * is unreachable. If the hub loses its connection later, `onLost` is called once and the
   * subscription ends: the stream behind it should end UNAVAILABLE so its client resumes elsewhere.
   */
  subscribe(listener: (event: T) => void, onLost?: (error: ConnectError) => void): () => void;
  /** Current number of subscribers (for metrics and leak tests). */
  subscriberCount(): number;
  /** Resolves while the hub can deliver; rejects UNAVAILABLE otherwise (health checks). */
  check(): Promise<void>;
}

/** A set of listeners that one failing listener cannot stop, shared by the hub implementations. */
export interface ListenerSet<T> {
  add(listener: (event: T) => void, onLost?: (error: ConnectError) => void): () => void;
  deliver(event: T): void;
  /** Ends every subscription, telling each why. */
  loseAll(error: ConnectError): void;
  readonly size: number;
}

export function createListenerSet<T>(onListenerError: (error: unknown) => void): ListenerSet<T> {
  // Entries are objects so that the same function can subscribe twice and unsubscribe each independently.
  const entries = new Set<{ listener: (event: T) => void; onLost?: (error: ConnectError) => void }>();
  return {
    add(listener, onLost) {
      const entry = { listener, onLost };
      entries.add(entry);
      return () => void entries.delete(entry);
    },
    deliver(event) {
      for (const entry of [...entries]) {
        try {
          entry.listener(event);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    loseAll(error) {
      const lost = [...entries];
      entries.clear();
      for (const entry of lost) entry.onLost?.(error);
    },
    get size() {
      return entries.size;
    },
  };
}

/** The default hub: one process, synchronous delivery; it cannot be lost. */
export function createInProcessHub<T>(
  onListenerError: (error: unknown) => void = (error) => console.error("hub listener failed", error),
): LiveHub<T> {
  const listeners = createListenerSet<T>(onListenerError);
  return {
    publish(event) {
      listeners.deliver(event);
      return Promise.resolve();
    },
    subscribe: (listener, onLost) => listeners.add(listener, onLost),
    subscriberCount: () => listeners.size,
    check: () => Promise.resolve(),
  };
}

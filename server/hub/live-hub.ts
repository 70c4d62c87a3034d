/**
 * Fan-out of live events (route notes, chat messages) to every open stream. Handlers only
 * see this interface, so the in-process default can be replaced by Redis pub/sub or
 * PostgreSQL LISTEN/NOTIFY for several server processes without touching them.
 */
export interface LiveHub<T> {
  /** Delivers the event to every current subscriber. Resolves once it has been handed off. */
  publish(event: T): Promise<void>;
  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: (event: T) => void): () => void;
  /** Current number of subscribers (for metrics and leak tests). */
  subscriberCount(): number;
}

/** The default hub: one process, synchronous delivery, one faulty listener cannot stop the rest. */
export function createInProcessHub<T>(
  onListenerError: (error: unknown) => void = (error) => console.error("hub listener failed", error),
): LiveHub<T> {
  const listeners = new Set<(event: T) => void>();
  return {
    publish(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch (error) {
          onListenerError(error);
        }
      }
      return Promise.resolve();
    },
    subscribe(listener) {
      // Wrapped so that the same function can subscribe twice and unsubscribe each independently.
      const entry = (event: T) => listener(event);
      listeners.add(entry);
      return () => void listeners.delete(entry);
    },
    subscriberCount() {
      return listeners.size;
    },
  };
}

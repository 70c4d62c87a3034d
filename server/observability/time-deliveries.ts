import type { LiveHub } from "../hub/live-hub.js";

/** One event's fan-out on this replica. */
export interface Delivery {
  /** Streams it was handed to. */
  subscribers: number;
  /** From its first subscriber's listener to the event-loop turn after the last (writes handed to the sockets). */
  seconds: number;
}

/**
 * Times each event's fan-out: hubs call every listener in one synchronous loop, and the lean
 * transports write (and Node flushes corked writes) before the next turn, so the time from the
 * first listener call to the turn after is what the slowest local subscriber waited on this
 * replica. One timer per event, nothing per subscriber but a count. Subscriptions made through
 * the returned hub are timed.
 */
export function timeDeliveries<T>(hub: LiveHub<T>, observe: (delivery: Delivery) => void): LiveHub<T> {
  let current: { event: T; started: number; subscribers: number } | undefined;
  return {
    ...hub,
    subscribe(listener, onLost) {
      return hub.subscribe((event) => {
        if (current === undefined || current.event !== event) {
          const delivery = { event, started: performance.now(), subscribers: 0 };
          current = delivery;
          setImmediate(() => {
            if (current === delivery) current = undefined;
            observe({ subscribers: delivery.subscribers, seconds: (performance.now() - delivery.started) / 1000 });
          });
        }
        current.subscribers++;
        listener(event);
      }, onLost);
    },
  };
}

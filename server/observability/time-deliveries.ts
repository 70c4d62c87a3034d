import type { LiveHub } from "../hub/live-hub.js";

/** One event's fan-out on this replica. */
export interface Delivery {
  /** Streams it was handed to. */
  subscribers: number;
  /** From its first subscriber's listener to the event-loop turn after the last subscriber's write was handed to its socket. */
  seconds: number;
}

/**
 * Times each event's fan-out: hubs call every listener in one synchronous loop, in the order
 * they subscribed, and the lean transports write (and Node flushes corked writes) before the
 * next turn, or, for a fan-out larger than a turn, in the turns after (`settled`), so the time
 * from the first listener call to the turn after the last write is what the slowest local
 * subscriber waited on this replica.
 *
 * The clock is a listener of its own, subscribed before the first subscriber (and again before
 * the next one after the hub lost it): it is called first for every event. Subscribers are
 * passed to the hub as they are, so a fan-out to 10,000 streams costs nothing per subscriber
 * here (wrapping each listener did: a closure call per subscriber per event).
 */
export function timeDeliveries<T>(
  hub: LiveHub<T>,
  observe: (delivery: Delivery) => void,
  /** Calls back once the writes the transports deferred so far are done (frame-batch.ts afterDeferredWrites). Default: at once. */
  settled: (callback: () => void) => void = (callback) => callback(),
): LiveHub<T> {
  let clockSubscribed = false;
  const clock = () => {
    const subscribers = hub.subscriberCount() - 1;
    if (subscribers === 0) return;
    const started = performance.now();
    // After the hub's loop: every write of this event is made or deferred by then.
    setImmediate(() => settled(() => observe({ subscribers, seconds: (performance.now() - started) / 1000 })));
  };
  const startClock = () => {
    if (clockSubscribed) return;
    // Throws as the hub's subscribe does (UNAVAILABLE while it is lost): the subscriber's own call would have.
    hub.subscribe(clock, () => (clockSubscribed = false));
    clockSubscribed = true;
  };
  return {
    ...hub,
    subscribe(listener, onLost) {
      startClock();
      return hub.subscribe(listener, onLost);
    },
    subscriberCount: () => hub.subscriberCount() - (clockSubscribed ? 1 : 0),
  };
}

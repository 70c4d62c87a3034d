import { describe, expect, it } from "vitest";
import { createInProcessHub, createListenerSet, type LiveHub } from "../hub/live-hub.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Delivery, timeDeliveries } from "./time-deliveries.js";

describe("timeDeliveries", () => {
  it("observes each event once, with every local subscriber counted and the writes' turn included", async () => {
    const observed: Delivery[] = [];
    const hub = timeDeliveries(createInProcessHub<{ n: number }>(), (delivery) => observed.push(delivery));
    const got: number[] = [];
    for (let i = 0; i < 3; i++) hub.subscribe((event) => got.push(event.n));
    // A subscriber whose write is flushed on the next tick, as corked stream writes are.
    hub.subscribe(() => process.nextTick(() => {
      const until = performance.now() + 5;
      while (performance.now() < until);
    }));
    await hub.publish({ n: 1 });
    await hub.publish({ n: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([1, 1, 1, 2, 2, 2]);
    expect(observed.map((delivery) => delivery.subscribers)).toEqual([4, 4]);
    expect(observed.every((delivery) => delivery.seconds >= 0.005)).toBe(true);
  });

  it("counts only the subscribers, hands the hub each subscriber's own listener, and observes nothing without subscribers", async () => {
    const inner = createInProcessHub<{ n: number }>();
    const given: unknown[] = [];
    const spied: LiveHub<{ n: number }> = { ...inner, subscribe: (listener, onLost) => (given.push(listener), inner.subscribe(listener, onLost)) };
    const observed: Delivery[] = [];
    const hub = timeDeliveries(spied, (delivery) => observed.push(delivery));
    expect(hub.subscriberCount()).toBe(0);
    const listener = () => {};
    const unsubscribe = hub.subscribe(listener);
    expect(given.at(-1)).toBe(listener);
    expect(hub.subscriberCount()).toBe(1);
    await hub.publish({ n: 1 });
    unsubscribe();
    expect(hub.subscriberCount()).toBe(0);
    await hub.publish({ n: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(observed.map((delivery) => delivery.subscribers)).toEqual([1]);
  });

  it("times again after the hub was lost and subscriptions came back", async () => {
    const listeners = createListenerSet<{ n: number }>((error) => {
      throw error;
    });
    let up = true;
    const losable: LiveHub<{ n: number }> = {
      publish: async (event) => listeners.deliver(event),
      subscribe: (listener, onLost) => {
        if (!up) throw new ConnectError("hub lost", Code.Unavailable);
        return listeners.add(listener, onLost);
      },
      subscriberCount: () => listeners.size,
      check: async () => {},
    };
    const observed: Delivery[] = [];
    const hub = timeDeliveries(losable, (delivery) => observed.push(delivery));
    const lost: ConnectError[] = [];
    hub.subscribe(() => {}, (error) => lost.push(error));
    up = false;
    listeners.loseAll(new ConnectError("hub lost", Code.Unavailable));
    expect(lost).toHaveLength(1);
    expect(hub.subscriberCount()).toBe(0);
    expect(() => hub.subscribe(() => {})).toThrow(/hub lost/);
    up = true;
    const got: number[] = [];
    hub.subscribe((event) => got.push(event.n));
    hub.subscribe((event) => got.push(event.n));
    expect(hub.subscriberCount()).toBe(2);
    await hub.publish({ n: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([3, 3]);
    expect(observed.map((delivery) => delivery.subscribers)).toEqual([2]);
  });

  it("waits for the writes the transports deferred (settled) before it stops the clock", async () => {
    const observed: Delivery[] = [];
    let settle: (() => void) | undefined;
    const hub = timeDeliveries(createInProcessHub<{ n: number }>(), (delivery) => observed.push(delivery), (callback) => (settle = callback));
    hub.subscribe(() => {});
    await hub.publish({ n: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settle).toBeDefined();
    expect(observed).toEqual([]);
    const until = performance.now() + 5;
    while (performance.now() < until);
    settle?.();
    expect(observed).toHaveLength(1);
    expect(observed[0]?.seconds).toBeGreaterThanOrEqual(0.005);
  });
});

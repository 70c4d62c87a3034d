import { describe, expect, it } from "vitest";
import { createInProcessHub } from "../hub/live-hub.js";
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
});

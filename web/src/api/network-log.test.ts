import { describe, expect, it } from "vitest";
import { createNetworkLog } from "./network-log";

describe("network log", () => {
  it("records a call's bytes, messages, first message and duration; ends it only once", async () => {
    let clock = 100;
    const log = createNetworkLog({ now: () => clock });
    const id = log.start({ method: "routeguide.RouteGuide/ListFeatures", protocol: "grpc-web" });
    log.addBytes(id, "requestBytes", 20);
    log.addBytes(id, "responseBytes", 300);
    log.addBytes(id, "responseBytes", 45);
    log.update(id, { firstMessageMs: 5, messages: 2 });
    clock = 150;
    log.finish(id, "ok");
    log.finish(id, "canceled");
    await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
    expect(log.snapshot()).toEqual([
      expect.objectContaining({ status: "ok", requestBytes: 20, responseBytes: 345, messages: 2, firstMessageMs: 5, durationMs: 50 }),
    ]);
  });

  it("keeps the newest calls first, up to its limit, and notifies once per batch of changes", async () => {
    const log = createNetworkLog({ limit: 2 });
    let notified = 0;
    log.subscribe(() => notified++);
    for (const method of ["a", "b", "c"]) log.start({ method, protocol: "connect-json" });
    await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
    expect(log.snapshot().map((call) => call.method)).toEqual(["c", "b"]);
    expect(notified).toBe(1);
  });
});

import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../limits/retry-info.js";
import { createPasswordWork } from "./password-work.js";

describe("createPasswordWork", () => {
  it("runs at most `concurrency` at once, queues up to `maxQueued`, refuses the rest with a retry hint", async () => {
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const work = createPasswordWork({
      concurrency: 2,
      maxQueued: 3,
      maxQueuedPerClient: 3,
      hash: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return "hash";
      },
    });
    const calls = Array.from({ length: 7 }, () => work.hash("pw").then(() => "done", ConnectError.from));
    await new Promise((resolve) => setImmediate(resolve));
    expect(running).toBe(2);
    expect(work.pending()).toBe(5);
    while (releases.length > 0 || running > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(calls);
    expect(most).toBe(2);
    expect(results.filter((result) => result === "done")).toHaveLength(5);
    const refused = results.filter((result) => result instanceof ConnectError) as ConnectError[];
    expect(refused.map((error) => error.code)).toEqual([Code.ResourceExhausted, Code.ResourceExhausted]);
    expect(retryDelayMs(refused[0]!)).toBe(1000);
    expect(work.pending()).toBe(0);
  });

  it("lets one client queue at most maxQueuedPerClient, leaving room for others", async () => {
    const releases: (() => void)[] = [];
    const work = createPasswordWork({
      concurrency: 1,
      maxQueued: 10,
      maxQueuedPerClient: 2,
      verify: () => new Promise<boolean>((resolve) => releases.push(() => resolve(true))),
    });
    const attacker = Array.from({ length: 6 }, () => work.verify("pw", "stored", "attacker").then(() => "done", ConnectError.from));
    const user = work.verify("pw", "stored", "user").then(() => "done", ConnectError.from);
    await new Promise((resolve) => setImmediate(resolve));
    // 1 running + 2 queued for the attacker; 3 refused at once; the user still gets a place.
    expect(work.pending()).toBe(4);
    while (work.pending() > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await user).toBe("done");
    expect((await Promise.all(attacker)).filter((result) => result === "done")).toHaveLength(3);
  });
});

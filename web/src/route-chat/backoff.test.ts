import { describe, expect, it } from "vitest";
import { backoffDelay, sleep } from "./backoff";

describe("backoffDelay", () => {
  it("doubles from 500 ms up to 10 s, with between half and all of each step", () => {
    const lowest = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, { random: () => 0 }));
    const highest = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, { random: () => 1 }));
    expect(highest).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(lowest).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });
});

describe("sleep", () => {
  it("ends early when its signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await slept;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

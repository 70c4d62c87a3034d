import { afterEach, describe, expect, it, vi } from "vitest";
import { createStallSweeper } from "./stall-sweeper.js";

describe("the stall sweeper", () => {
  afterEach(() => vi.useRealTimers());

  it("reports only the targets still watched past the timeout, each once, oldest first", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
    const stalled: string[] = [];
    const stalls = createStallSweeper<{ name: string }>(400, (target) => stalled.push(target.name));
    const [a, b, c] = [{ name: "a" }, { name: "b" }, { name: "c" }];
    stalls.watch(a);
    stalls.watch(b);
    vi.advanceTimersByTime(200);
    stalls.watch(c);
    stalls.unwatch(a); // its body ended
    vi.advanceTimersByTime(300); // b is 500 ms old, c 300 ms
    expect(stalled).toEqual(["b"]);
    vi.advanceTimersByTime(200);
    expect(stalled).toEqual(["b", "c"]);
    vi.advanceTimersByTime(2_000);
    expect(stalled).toEqual(["b", "c"]);
  });

  it("counts a target watched again from its new start", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
    const stalled: string[] = [];
    const stalls = createStallSweeper<{ name: string }>(400, (target) => stalled.push(target.name));
    const [a, b] = [{ name: "a" }, { name: "b" }];
    stalls.watch(a);
    vi.advanceTimersByTime(300);
    stalls.watch(b);
    stalls.watch(a); // again: now the youngest
    vi.advanceTimersByTime(200); // b 200 ms, a 200 ms
    expect(stalled).toEqual([]);
    vi.advanceTimersByTime(300);
    expect(stalled.sort()).toEqual(["a", "b"]);
  });
});

describe("the stall sweeper's list", () => {
  afterEach(() => vi.useRealTimers());

  it("keeps its age order whichever waits end first, middle, oldest or newest", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
    const stalled: string[] = [];
    const stalls = createStallSweeper<{ name: string }>(400, (target) => stalled.push(target.name));
    const targets = ["a", "b", "c", "d", "e"].map((name) => ({ name }));
    for (const target of targets) {
      stalls.watch(target);
      vi.advanceTimersByTime(10);
    }
    const [a, b, c, d, e] = targets as [{ name: string }, { name: string }, { name: string }, { name: string }, { name: string }];
    stalls.unwatch(c); // middle
    stalls.unwatch(a); // oldest
    stalls.unwatch(e); // newest
    stalls.unwatch(e); // again: nothing
    stalls.unwatch({ name: "never watched" });
    const f = { name: "f" };
    stalls.watch(f);
    vi.advanceTimersByTime(1_000);
    expect(stalled).toEqual(["b", "d", "f"]);
    // A target stalled once and watched again is counted afresh.
    stalls.watch(b);
    stalls.watch(d);
    stalls.unwatch(b);
    vi.advanceTimersByTime(1_000);
    expect(stalled).toEqual(["b", "d", "f", "d"]);
  });

  it("watches one target in two sweepers independently", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
    const first: string[] = [];
    const second: string[] = [];
    const one = createStallSweeper<{ name: string }>(400, (target) => first.push(target.name));
    const two = createStallSweeper<{ name: string }>(400, (target) => second.push(target.name));
    const shared = { name: "shared" };
    const other = { name: "other" };
    one.watch(shared);
    two.watch(other);
    two.watch(shared);
    one.unwatch(shared);
    vi.advanceTimersByTime(1_000);
    expect(first).toEqual([]);
    expect(second).toEqual(["other", "shared"]);
  });
});

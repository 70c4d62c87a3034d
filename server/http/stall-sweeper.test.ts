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

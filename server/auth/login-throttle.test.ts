import { describe, expect, it } from "vitest";
import { createLoginThrottle } from "./login-throttle.js";

describe("createLoginThrottle", () => {
  it("after the free attempts, spaces attempts by a doubling delay up to the maximum, per username ignoring case", () => {
    let now = 0;
    const throttle = createLoginThrottle({ freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 350, now: () => now });
    const spacing: number[] = [];
    for (let i = 0; i < 7; i++) {
      // An attempt that comes too soon is refused with the wait; one after the wait goes through.
      const wait = throttle.attempt(i % 2 ? "ada" : "ADA", "10.0.0.1");
      if (wait > 0) {
        now += wait;
        expect(throttle.attempt("Ada", "10.0.0.1")).toBe(0);
      }
      spacing.push(wait);
    }
    expect(spacing).toEqual([0, 0, 0, 100, 200, 350, 350]);
    expect(throttle.attempt("grace", "10.0.0.1")).toBe(0);
  });

  it("counts parallel attempts: the fourth at the same instant is refused with the wait", () => {
    const throttle = createLoginThrottle({ freeAttempts: 3, baseDelayMs: 250, now: () => 0 });
    const waits = [1, 2, 3, 4, 5, 6].map(() => throttle.attempt("victim", "10.0.0.1"));
    expect(waits).toEqual([0, 0, 0, 0, 250, 250]);
  });

  it("keeps other addresses' attempts apart, and forgets after a success or the window", () => {
    let now = 0;
    const throttle = createLoginThrottle({ freeAttempts: 0, baseDelayMs: 100, windowMs: 1000, now: () => now });
    expect(throttle.attempt("ada", "attacker")).toBe(0);
    expect(throttle.attempt("ada", "attacker")).toBe(100);
    expect(throttle.attempt("ada", "victim")).toBe(0);
    throttle.recordSuccess("ada", "attacker");
    expect(throttle.attempt("ada", "attacker")).toBe(0);
    now = 1001;
    expect(throttle.attempt("ada", "attacker")).toBe(0);
  });

  it("tracks at most maxTracked pairs", () => {
    let now = 0;
    const throttle = createLoginThrottle({ maxTracked: 100, now: () => now++ });
    for (let i = 0; i < 1000; i++) throttle.attempt(`user${i}`, "10.0.0.1");
    expect(throttle.size()).toBeLessThanOrEqual(100);
  });
});

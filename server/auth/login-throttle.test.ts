import { describe, expect, it } from "vitest";
import { createLoginThrottle } from "./login-throttle.js";

describe("createLoginThrottle", () => {
  it("doubles the delay after the free attempts, up to the maximum, per username ignoring case", () => {
    let now = 0;
    const throttle = createLoginThrottle({ freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 350, now: () => now });
    const delays = [];
    for (let i = 0; i < 6; i++) {
      delays.push(throttle.delayFor("Ada"));
      throttle.recordFailure(i % 2 ? "ada" : "ADA");
    }
    expect(delays).toEqual([0, 0, 100, 200, 350, 350]);
    expect(throttle.delayFor("grace")).toBe(0);
  });

  it("forgets failures after a success or after the window", () => {
    let now = 0;
    const throttle = createLoginThrottle({ freeAttempts: 0, baseDelayMs: 100, windowMs: 1000, now: () => now });
    throttle.recordFailure("ada");
    expect(throttle.delayFor("ada")).toBe(200);
    throttle.recordSuccess("ada");
    expect(throttle.delayFor("ada")).toBe(0);
    throttle.recordFailure("ada");
    now = 1001;
    expect(throttle.delayFor("ada")).toBe(0);
  });
});

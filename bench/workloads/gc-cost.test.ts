import { describe, expect, it } from "vitest";
import { gcCostTable } from "./gc-cost.js";
import type { GcTotals } from "../../server/test-support/gc-trace.js";

// One round's totals as server/test-support/gc-trace.ts reads them (its own test holds the reading).
const totals: GcTotals = { scavenges: 1, fullCollections: 1, promotedBytes: 1_067_824, pauseMs: 94.1, backgroundMs: 132.1 };

describe("the GC table", () => {
  it("writes per-call figures from the rounds' medians", () => {
    const table = gcCostTable([{ server: "x", calls: 1_000, rounds: [totals, totals, { ...totals, promotedBytes: 0 }], cpuMs: [30, 40, 50] }]);
    expect(table.split("\n")[2]).toBe("| x | 1 | 1 | 1,068 B | 94.10 µs | 132.10 µs | 40.0 µs |");
  });
});

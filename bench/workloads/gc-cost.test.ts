import { describe, expect, it } from "vitest";
import { gcCostTable } from "./gc-cost.js";
import { parseGcTrace } from "../../server/test-support/gc-trace.js";

// Lines as Node 24's V8 prints them under --trace-gc-nvp (shortened; the fields read are kept).
const scavenge =
  "[1:0x1:0]    15409 ms: pause=4.3 mutator=56.0 gc=s reduce_memory=0 scavenge=4.28 background.scavenge.parallel=3.70 allocated=13386184 promoted=1067824 new_space_survived=1065488";
const markCompact =
  "[1:0x1:0]     8284 ms: pause=89.8 mutator=46.9 gc=mc clear=32 sweep.old=48.9 background.mark=127.0 background.sweep=0.2 background.evacuate.copy=1.2 promoted=1244440";

describe("the GC table", () => {
  it("writes per-call figures from the rounds' medians", () => {
    const totals = parseGcTrace([scavenge, markCompact].join("\n"));
    const table = gcCostTable([{ server: "x", calls: 1_000, rounds: [totals, totals, { ...totals, promotedBytes: 0 }], cpuMs: [30, 40, 50] }]);
    expect(table.split("\n")[2]).toBe("| x | 1 | 1 | 1,068 B | 94.10 µs | 132.10 µs | 40.0 µs |");
  });
});

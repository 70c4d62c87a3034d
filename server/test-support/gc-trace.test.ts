import { describe, expect, it } from "vitest";
import { parseGcTrace } from "./gc-trace.js";

// Lines as Node 24's V8 prints them under --trace-gc-nvp (shortened; the fields read are kept).
const scavenge =
  "[1:0x1:0]    15409 ms: pause=4.3 mutator=56.0 gc=s reduce_memory=0 scavenge=4.28 background.scavenge.parallel=3.70 allocated=13386184 promoted=1067824 new_space_survived=1065488";
const markCompact =
  "[1:0x1:0]     8284 ms: pause=89.8 mutator=46.9 gc=mc clear=32 sweep.old=48.9 background.mark=127.0 background.sweep=0.2 background.evacuate.copy=1.2 promoted=1244440";

describe("the GC trace", () => {
  it("counts scavenges and full collections, promotion by scavenges only, pauses and helper threads' work", () => {
    const totals = parseGcTrace([`listening on 1234`, scavenge, `{"level":"info","msg":"call","durationMs":0}`, markCompact, scavenge, ""].join("\n"));
    expect(totals.scavenges).toBe(2);
    expect(totals.fullCollections).toBe(1);
    expect(totals.promotedBytes).toBe(2 * 1067824);
    expect(totals.pauseMs).toBeCloseTo(4.3 + 89.8 + 4.3, 6);
    expect(totals.backgroundMs).toBeCloseTo(2 * 3.7 + 127 + 0.2 + 1.2, 6);
  });

  it("refuses a scavenge line that does not say what it promoted", () => {
    expect(() => parseGcTrace(scavenge.replace(" promoted=1067824", ""))).toThrow(/promoted=/);
  });
});

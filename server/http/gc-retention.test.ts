import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseGcTrace } from "../test-support/gc-trace.js";

const run = promisify(execFile);
const fixture = fileURLToPath(new URL("./gc-retention-fixture.ts", import.meta.url));

/** Bytes the minor collections promoted to the old generation, per request, as V8 reports them. */
async function promotedPerRequest(kind: string): Promise<number> {
  // Without pretenuring, as the server runs (package.json "start"): with it, V8 soon allocates the
  // objects a Map keeps alive straight in the old generation, where "promoted" no longer counts them.
  const flags = ["--import", "tsx", "--expose-gc", "--trace-gc-nvp", "--no-allocation-site-pretenuring", "--max-semi-space-size=4"];
  const { stdout } = await run(process.execPath, [...flags, fixture, kind, "1000000"], { maxBuffer: 64 * 1024 * 1024 });
  const requests = Number(/^requests=(\d+)$/m.exec(stdout)?.[1]);
  const { scavenges, promotedBytes } = parseGcTrace(stdout);
  expect(scavenges > 0 && requests > 0).toBe(true);
  return promotedBytes / requests;
}

// The reason for session-stream-tables.ts and the stall sweeper's list: a Map or Set with an
// entry in and out per request keeps every request's objects alive through minor collections
// once one of its rebuilt tables is old. Counted, not timed: the bytes V8 promotes.
describe("per-request tables and the young generation", () => {
  it("a Map and a Set churned per request promote what they once held (the control)", async () => {
    expect(await promotedPerRequest("map")).toBeGreaterThan(50);
  });

  it("the session's stream tables promote next to nothing", async () => {
    expect(await promotedPerRequest("tables")).toBeLessThan(5);
  });

  it("the stall sweeper promotes next to nothing", async () => {
    expect(await promotedPerRequest("sweeper")).toBeLessThan(5);
  });
});

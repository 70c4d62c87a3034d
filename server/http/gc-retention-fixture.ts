// Run by gc-retention.test.ts in a process of its own (`--expose-gc --trace-gc-nvp`): churns one
// of the per-request tables the way a busy server does, a short-lived object in and out per
// request, with a full collection now and then, as a server's old generation fills. The parent
// reads how much each request left promoted to the old generation.
import { createStreamTable, createWaitingStreams } from "./session-stream-tables.js";
import { createStallSweeper } from "./stall-sweeper.js";

const kind = process.argv[2];
const requests = Number(process.argv[3] ?? 1_000_000);
const inFlight = 8;
const collect = (globalThis as { gc?: (options: { type: "major" }) => void }).gc;
if (collect === undefined) throw new Error("run with --expose-gc");

const map = new Map<number, object>();
const set = new Set<object>();
const table = createStreamTable();
const waiting = createWaitingStreams();
const sweeper = createStallSweeper<object>(60_000, () => {});
const open: object[] = [];

for (let id = 1; id <= requests; id++) {
  if (id % 200_000 === 1) collect({ type: "major" });
  const stream = { id, state: new Array<number>(16).fill(id) };
  open.push(stream);
  const done = open.length > inFlight ? (open.shift() as { id: number }) : undefined;
  if (kind === "map") {
    set.add(stream);
    set.delete(stream);
    map.set(id, stream);
    if (done) map.delete(done.id);
  } else if (kind === "tables") {
    waiting.add(stream);
    waiting.delete(stream);
    table.set(id, stream);
    if (done) table.delete(done.id);
  } else if (kind === "sweeper") {
    sweeper.watch(stream);
    if (done) sweeper.unwatch(done);
  } else {
    throw new Error(`unknown kind ${kind}`);
  }
}
process.stdout.write(`requests=${requests}\n`);

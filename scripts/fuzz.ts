/**
 * The long fuzz run: `npm run fuzz -- --cases 50000 [--seed N] [--concurrency 8]`. Starts its
 * own server process (small heap, throwaway database) on loopback, sends generated and mutated
 * requests for every method over every protocol, prints what came back by protocol and code,
 * and exits 1 on any server fault, crash or logged secret. Replay one case with its seed.
 */
import { parseArgs } from "node:util";
import { describeOutcome, faultOf, runFuzz } from "../server/fuzz/fuzz-runner.js";
import { FUZZ_TOKEN, startFuzzServer } from "../server/fuzz/fuzz-server.js";

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "50000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    concurrency: { type: "string", default: "8" },
  },
});
const cases = Number(values.cases);
const seed = Number(values.seed);
const server = await startFuzzServer();
const started = performance.now();
const tally = new Map<string, number>();
const faults: string[] = [];
let done = 0;
await runFuzz({
  url: server.process.url,
  token: FUZZ_TOKEN,
  firstSeed: seed,
  cases,
  concurrency: Number(values.concurrency),
  onOutcome(outcome) {
    const key = `${outcome.case.protocol.padEnd(11)} ${outcome.transportError ? "transport error" : outcome.stillStreaming ? "still streaming" : (outcome.code ?? `HTTP ${outcome.httpStatus}`)}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    if (faultOf(outcome) !== undefined) faults.push(describeOutcome(outcome));
    if (++done % 5000 === 0) console.log(`${done} cases, ${faults.length} faults, ${Math.round((performance.now() - started) / 1000)} s`);
  },
});
const alive = server.process.child.exitCode === null;
const secrets = server.loggedSecrets();
const exitCode = await server.stop();
console.log(`\n${cases} cases from seed ${seed} in ${Math.round((performance.now() - started) / 1000)} s\n`);
for (const [key, count] of [...tally].sort()) console.log(`${String(count).padStart(7)}  ${key}`);
for (const fault of faults.slice(0, 50)) console.log(`FAULT ${fault}`);
if (!alive) console.log("FAULT the server process died during the run");
if (secrets.length > 0) console.log(`FAULT secrets in the server's output: ${secrets.join(", ")}`);
if (exitCode !== 0) console.log(`FAULT the server exited with ${exitCode} on SIGTERM`);
process.exit(faults.length === 0 && alive && secrets.length === 0 && exitCode === 0 ? 0 : 1);

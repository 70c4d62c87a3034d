import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FUZZED_SERVICES } from "./fuzz-cases.js";
import { faultOf, describeOutcome, type FuzzOutcome, runFuzz } from "./fuzz-runner.js";
import { FUZZ_TOKEN, type FuzzServer, startFuzzServer } from "./fuzz-server.js";

/**
 * Generated and mutated requests for every method over every protocol, against a real server
 * process with a small heap: it must never crash, never answer a client's mistake with a server
 * fault (INTERNAL, UNKNOWN, HTTP 500), and never log a secret. A bounded run here (FUZZ_CASES,
 * FUZZ_SEED to replay a failure); `npm run fuzz` runs longer.
 */
const CASES = Number(process.env.FUZZ_CASES ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
let server: FuzzServer;

beforeAll(async () => (server = await startFuzzServer()), 60_000);
afterAll(async () => expect(await server.stop()).toBe(0), 30_000);

describe(`fuzzing every method and protocol (${CASES} cases from seed ${SEED})`, () => {
  let outcomes: FuzzOutcome[] = [];

  it("answers every case without a server fault", async () => {
    outcomes = await runFuzz({ url: server.process.url, token: FUZZ_TOKEN, firstSeed: SEED, cases: CASES });
    expect(outcomes.filter((outcome) => faultOf(outcome) !== undefined).map(describeOutcome)).toEqual([]);
    // The run covered what it says: every protocol and every method.
    expect(new Set(outcomes.map((outcome) => outcome.case.protocol)).size).toBe(4);
    const methods = FUZZED_SERVICES.flatMap((service) => service.methods.map((method) => `/${service.typeName}/${method.name}`));
    expect(new Set(outcomes.map((outcome) => outcome.case.path.split("?")[0]))).toEqual(new Set(methods));
  }, 240_000);

  it("is still alive and answering, and logged no secret and no server fault", async () => {
    const health = await fetch(`${server.process.url}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(await health.json()).toEqual({ status: "SERVING" });
    expect(server.loggedSecrets()).toEqual([]);
    expect(server.process.output()).not.toMatch(/"level":"error"/);
  });
});

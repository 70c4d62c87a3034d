// npm run bench [-- --smoke] [--rounds N] [--seconds S] [--only unary,streaming,instructions,gc,fanout,storage,tracing,validation,logging,memory,wire,browser]
//                 [--match LABEL_REGEX] [--log-level info] [--out FILE]
//
// Starts, side by side on loopback, the project's server, a @grpc/grpc-js server with the same
// RouteGuide (and ListUsers) methods (the yardstick), and a bare node:http2 server with a fixed
// gRPC reply (the ceiling); servers pinned to CPU 0, load generators to CPU 1. Prints markdown
// tables of medians and ratios. Bounded: every step has a request count or a duration, and the
// servers are stopped at the end, on error too. Replicas and the storage comparison use the
// PostgreSQL and Redis that the tests use (TEST_POSTGRES_URL, TEST_REDIS_URL; a database and key
// prefix of their own, removed at the end), and are skipped with a note if those are not reachable.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openStorage } from "../server/storage/open-storage.js";
import { createTestDatabase, createTestRedisPrefix, TEST_REDIS_URL, type TestDatabase } from "../server/test-support/test-services.js";
import { seedUsers } from "../server/users/seed-users.js";
import { type PinnedProcess, type SpawnPinnedOptions, spawnPinned } from "./lib/pinned-process.js";
import { startNodeFlags } from "../scripts/start-flags.js";
import { browserStreamTable, measureBrowserStream } from "./workloads/browser-stream.js";
import { fanoutTable, measureFanout } from "./workloads/fanout.js";
import { idleMemoryTable, measureIdleMemory } from "./workloads/idle-memory.js";
import { BENCH_TOKEN, type ServerName, streamingCases, unaryCases } from "./workloads/request-cases.js";
import { measureThroughput, throughputTable } from "./workloads/throughput.js";
import { type EngineServer, measureStorageEngines, storageEnginesTable } from "./workloads/storage-engines.js";
import { measureTracingCost, startOtlpSink, tracingTable } from "./workloads/tracing-cost.js";
import { measureValidationCost, validationTable } from "./workloads/validation-cost.js";
import { wireSizeTable } from "./workloads/wire-size.js";
import { loggerTable, measureLoggerCost } from "./workloads/logger-cost.js";
import { gcCostTable, measureGcCost } from "./workloads/gc-cost.js";
import { callgrindAvailable, type InstructionsSpawn, instructionsTable, measureInstructions } from "./workloads/instructions.js";

/** The server's per-client limits (server/limits), lifted for the benchmark's one client address. */
const LIMITS_LIFTED = {
  RATE_LIMIT_NOTES: "off",
  RATE_LIMIT_CHAT: "off",
  RATE_LIMIT_SIGNUP: "off",
  RATE_LIMIT_LOGIN: "off",
  MAX_STREAMS_PER_CONNECTION: "1000",
  HTTP2_MAX_CONCURRENT_STREAMS: "1000",
};

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    rounds: { type: "string" },
    seconds: { type: "string" },
    only: { type: "string" },
    out: { type: "string" },
    "log-level": { type: "string", default: "info" },
    match: { type: "string" },
    "project-env": { type: "string", multiple: true },
  },
});
const smoke = values.smoke;
const rounds = Number(values.rounds ?? (smoke ? 1 : 3));
const seconds = Number(values.seconds ?? 5);
const matching = new RegExp(values.match ?? "");
// The instruction counts take a minute even with smoke counts (servers start under valgrind):
// a smoke run leaves them out unless asked for (bench.test.ts asks in a test of its own).
const only = new Set((values.only ?? `unary,streaming,${smoke ? "" : "instructions,"}gc,fanout,storage,tracing,validation,logging,memory,wire,browser`).split(","));
const sizes = smoke
  ? { users: 1_500, storageUsers: 300, browserUsers: 300, fanout: [20], idle: [50], requests: 300 }
  : { users: 100_000, storageUsers: 10_000, browserUsers: 10_000, fanout: [1_000, 10_000], idle: [1_000, 10_000], requests: undefined };
// Servers on one core, load on the other; on a one-core machine nothing is pinned.
const [serverCpu, loadCpu] = cpus().length >= 2 ? [0, 1] : [undefined, undefined];

// This process (it starts servers and reads results) stays off the servers' core too.
if (loadCpu !== undefined) execFileSync("taskset", ["-a", "-p", "-c", String(loadCpu), String(process.pid)], { stdio: "ignore" });

const log = (line: string) => process.stderr.write(`${line}\n`);
const scratch = mkdtempSync(join(tmpdir(), "bench-"));
const started: PinnedProcess[] = [];
const root = new URL("..", import.meta.url).pathname;

async function seededDatabase(name: string, users: number, url = `sqlite:${join(scratch, name)}`): Promise<string> {
  const storage = await openStorage(url);
  await seedUsers(storage.users, { count: users, prefix: "user" });
  await storage.close();
  return url;
}

/** The id of the first user in a database. */
async function firstUserId(url: string): Promise<string> {
  const storage = await openStorage(url);
  const [first] = await storage.users.list(undefined, 1);
  await storage.close();
  if (first === undefined) throw new Error(`no user in ${url}`);
  return first.id;
}

/** PostgreSQL databases and Redis prefixes made for this run, removed at the end. */
const externals: (() => Promise<void>)[] = [];
async function postgresDatabase(): Promise<TestDatabase | undefined> {
  try {
    const database = await createTestDatabase();
    externals.push(() => database.drop());
    return database;
  } catch (error) {
    log(`PostgreSQL not reachable (${(error as Error).message}): skipping its rows`);
    return undefined;
  }
}

/** --project-env NAME=VALUE (repeatable), e.g. WEB_LEAN_PATH=off for a before/after pair of runs. */
const projectEnv = Object.fromEntries((values["project-env"] ?? []).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));

/** The project as `npm start` runs it: compiled JavaScript (build/), built once per run. */
let compiled = false;
function compiledMain(): string {
  if (!compiled) execFileSync("npm", ["run", "--silent", "build:server"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  compiled = true;
  return join(root, "build/server/main.js");
}

function startProject(databaseUrl: string, extraEnv: Record<string, string> = {}, spawnExtras: Partial<SpawnPinnedOptions> = {}): Promise<PinnedProcess> {
  return spawnPinned({
    name: "project",
    cpu: serverCpu,
    script: compiledMain(),
    // As npm start runs it.
    nodeArgs: startNodeFlags(root),
    // Per-client limits lifted, as behind a proxy (one client address, 1,000 streams per connection):
    // the figures are the server's capacity, not its abuse limits.
    // No SIGTERM delay: nothing routes around a benchmark server, and it should stop at once.
    env: { PORT: "0", DATABASE_URL: databaseUrl, AUTH_TOKENS: BENCH_TOKEN, LOG_LEVEL: values["log-level"] as string, SHUTDOWN_DELAY_MS: "0", ...LIMITS_LIFTED, ...projectEnv, ...extraEnv },
    logFile: join(scratch, `project-${started.length}.log`),
    ...spawnExtras,
  }).then((server) => (started.push(server), server));
}

async function main(): Promise<string> {
  const sections: string[] = [
    `# Benchmark results`,
    "",
    `${new Date().toISOString()} · Node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? "cpu"} · ` +
      `servers on CPU ${serverCpu ?? "any"}, load on CPU ${loadCpu ?? "any"} · ${rounds} interleaved round(s)` +
      (smoke ? " · SMOKE RUN (tiny counts: figures mean nothing)" : ` of ${seconds} s after 1 s warm-up`) +
      ` · project LOG_LEVEL=${values["log-level"]}, compiled (npm start)` +
      (Object.keys(projectEnv).length > 0 ? ` · project env ${Object.entries(projectEnv).map(([name, value]) => `${name}=${value}`).join(" ")}` : ""),
  ];
  const throughputOptions = { rounds, seconds, requests: sizes.requests, loadCpu };

  if (only.has("unary") || only.has("streaming")) {
    log(`seeding ${sizes.users} users ...`);
    const databaseUrl = await seededDatabase("throughput.db", sizes.users);
    const ports: Partial<Record<ServerName, number>> = {};
    ports.project = (await startProject(databaseUrl)).port;
    const grpcJs = await spawnPinned({ name: "grpc-js", cpu: serverCpu, script: join(root, "bench/servers/grpc-js-server.ts"), env: { PORT: "0", DATABASE_URL: databaseUrl }, logFile: join(scratch, "grpc-js.log") });
    started.push(grpcJs);
    ports["grpc-js"] = grpcJs.port;
    const bare = await spawnPinned({ name: "bare http2", cpu: serverCpu, script: join(root, "bench/servers/bare-http2-server.ts"), env: { PORT: "0" }, logFile: join(scratch, "bare.log") });
    started.push(bare);
    ports["bare http2"] = bare.port;
    const bareHttp1 = await spawnPinned({ name: "bare http1", cpu: serverCpu, script: join(root, "bench/servers/bare-http1-server.ts"), env: { PORT: "0" }, logFile: join(scratch, "bare-http1.log") });
    started.push(bareHttp1);
    ports["bare http1"] = bareHttp1.port;
    if (only.has("unary")) {
      const rows = await measureThroughput(unaryCases().filter((c) => matching.test(c.label)), ports, throughputOptions, log);
      sections.push("", "## Unary: GetFeature, requests per second", "", "h2load -c 8 -m 8 (h2c); --h1 -c 64 -m 1 (HTTP/1.1, many keep-alive connections as browsers load a server); median of the rounds.", "", throughputTable(rows, "req/s"));
    }
    if (only.has("streaming")) {
      const rows = await measureThroughput(streamingCases().filter((c) => matching.test(c.label)), ports, throughputOptions, log);
      sections.push("", "## Server streaming: messages per second", "", `h2load -c 8 -m 8 (h2c), --h1 -c 64 -m 1 (HTTP/1.1); calls per second × messages per call; ${sizes.users.toLocaleString("en-US")} users in the database.`, "", throughputTable(rows, "msg/s"));
    }
    await Promise.all(started.splice(0).map((server) => server.stop()));
  }

  if (only.has("fanout")) {
    const results = [];
    for (const protocol of ["grpc", "connect-http1"] as const) {
      for (const subscribers of sizes.fanout) {
        // A fresh server each time, at debug level for its own fan-out times.
        const server = await startProject(`sqlite:${join(scratch, `fanout-${protocol}-${subscribers}.db`)}`, { LOG_LEVEL: "debug" });
        log(`fan-out to ${subscribers} subscribers (${protocol}) ...`);
        const result = await measureFanout([server], subscribers, smoke ? 3 : 20, protocol, loadCpu);
        await server.stop();
        // The same client against a server that does nothing but write each note to every socket.
        const bare = await spawnPinned({ name: "bare fan-out", cpu: serverCpu, script: join(root, "bench/servers/bare-fanout-server.ts"), logFile: join(scratch, "bare-fanout.log") });
        log(`fan-out to ${subscribers} subscribers (${protocol}), bare ceiling ...`);
        const ceiling = await measureFanout([bare], subscribers, smoke ? 3 : 20, protocol, loadCpu);
        await bare.stop();
        results.push({ ...result, ceiling: { p99: ceiling.p99, serverP99: ceiling.serverP99 } });
      }
    }
    // The same over two replicas on one PostgreSQL and one Redis (both replicas on the servers' core).
    const database = await postgresDatabase();
    if (database !== undefined) {
      const prefix = createTestRedisPrefix();
      externals.push(() => prefix.clear());
      const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix.prefix, LOG_LEVEL: "debug" };
      const replicas = [await startProject(database.url, env), await startProject(database.url, env)];
      for (const subscribers of sizes.fanout.slice(0, 1)) {
        log(`fan-out to ${subscribers} subscribers over 2 replicas ...`);
        results.push(await measureFanout(replicas, subscribers, smoke ? 3 : 20, "grpc", loadCpu));
      }
      await Promise.all(replicas.map((replica) => replica.stop()));
    }
    sections.push("", "## Fan-out: one RouteChat poster, many SubscribeNotes streams", "", "Notes 100 ms apart, after 20 warm-up notes (2 s; the first received by every subscriber before the rest are posted, so that each stream is live, and the rest so that V8 has compiled the fan-out's code, as the unary rounds' 1 s warm-up does); latency from posting to each subscriber receiving it (same clock): a note counts as received at the start of the load generator's event-loop turn that read it; \"as processed\" is when that one-core process got to it. Server fan-out: each server's own time per note, from its first subscriber to all writes handed to the sockets. Ceiling: the same client against bench/servers/bare-fanout-server.ts, which writes each posted note, framed once, straight to every subscriber's socket or stream (no storage, hub, interceptors or per-subscriber code): what this machine's loopback writes cost alone. With two replicas, half the subscribers are on each and every note crosses Redis and PostgreSQL (server/hub/note-sequencer.ts).", "", fanoutTable(results));
  }

  if (only.has("storage")) {
    const servers: EngineServer[] = [];
    const sqlite = await seededDatabase("storage.db", sizes.storageUsers);
    servers.push({ engine: "SQLite", port: (await startProject(sqlite)).port, userId: await firstUserId(sqlite) });
    const database = await postgresDatabase();
    if (database !== undefined) {
      log(`seeding ${sizes.storageUsers} users in PostgreSQL ...`);
      await seededDatabase("", sizes.storageUsers, database.url);
      servers.push({ engine: "PostgreSQL", port: (await startProject(database.url)).port, userId: await firstUserId(database.url) });
    }
    const results = await measureStorageEngines(servers, { rounds, seconds, requests: sizes.requests, token: BENCH_TOKEN, loadCpu }, log);
    await Promise.all(started.splice(0).map((server) => server.stop()));
    sections.push("", "## Storage engines: unary calls on SQLite and PostgreSQL", "", `GetUser: h2load -c 8 -m 8, gRPC. CreateUser: 4 calls at a time, a new user each, scrypt included. ${sizes.storageUsers.toLocaleString("en-US")} users seeded; PostgreSQL on the same machine (not pinned), default pool of 10.`, "", storageEnginesTable(results));
  }

  if (only.has("tracing")) {
    const sink = await startOtlpSink();
    const database = `sqlite:${join(scratch, "tracing.db")}`;
    const off = await startProject(database);
    const on = await startProject(database, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: "bench" });
    const cases = unaryCases().filter((c) => c.label === "GetFeature gRPC (h2c)" || c.label === "GetFeature Connect JSON (HTTP/1.1)");
    const rows = await measureTracingCost(cases, { off: off.port, on: on.port }, { rounds, seconds, requests: sizes.requests, loadCpu }, log);
    await Promise.all(started.splice(0).map((server) => server.stop()));
    if (sink.exports() === 0) throw new Error("the traced server exported nothing");
    sink.close();
    sections.push("", "## Tracing: OpenTelemetry off (the default) and on", "", "The same server build; \"on\" exports every span (server span per call) over OTLP/HTTP to a sink on the load core. Off installs no tracing code on the call path.", "", tracingTable(rows));
  }

  if (only.has("validation")) {
    log("request rules ...");
    const rows = measureValidationCost({ rounds, checks: smoke ? 1_000 : 200_000 });
    sections.push("", "## Validation: the request rules per message", "", "protovalidate on valid messages (every rule runs), in the bench process on the load core; median of the rounds. Each call pays one check per request message.", "", validationTable(rows));
  }

  if (only.has("logging")) {
    log("loggers ...");
    const rows = measureLoggerCost({ rounds, lines: smoke ? 2_000 : 200_000, cpu: serverCpu, scratch, root });
    sections.push("", "## Logging: one call's log line", "", "The line observeCalls writes for a unary call, 64 per event-loop turn, to a file; each logger in a fresh process on the servers' core; process CPU per line, writing included; median of the rounds.", "", loggerTable(rows));
  }

  if (only.has("instructions")) {
    const heading = ["", "## Instructions per unary gRPC call", ""];
    if (!callgrindAvailable()) {
      sections.push(...heading, "Skipped: valgrind (callgrind) is not installed here.");
    } else {
      const databaseUrl = await seededDatabase("instructions.db", 100);
      const counts = smoke ? { warmUpCalls: 300, calls: 300 } : { warmUpCalls: 30_000, calls: 30_000 };
      const other = (name: string, script: string, env: Record<string, string>) => ({ extraNodeArgs, ...extras }: InstructionsSpawn) =>
        spawnPinned({ name, cpu: serverCpu, script: join(root, script), env, logFile: join(scratch, `${name.replace(/\W/g, "-")}-callgrind.log`), nodeArgs: extraNodeArgs, ...extras }).then((server) => (started.push(server), server));
      const servers = [
        { name: "project", start: ({ extraNodeArgs, ...extras }: InstructionsSpawn) => startProject(databaseUrl, {}, { nodeArgs: [...startNodeFlags(root), ...extraNodeArgs], ...extras }) },
        { name: "grpc-js", start: other("grpc-js", "bench/servers/grpc-js-server.ts", { PORT: "0", DATABASE_URL: databaseUrl }) },
        { name: "bare http2", start: other("bare http2", "bench/servers/bare-http2-server.ts", { PORT: "0" }) },
      ];
      log("instructions per call under callgrind ...");
      const results = await measureInstructions(servers, { ...counts, loadCpu, scratch }, log);
      sections.push(
        ...heading,
        `GetFeature over h2c (h2load -c 8 -m 8), every instruction counted by valgrind's callgrind (servers run with V8's --predictable: GC and compilers on the main thread) over ${counts.calls.toLocaleString("en-US")} calls after ${counts.warmUpCalls.toLocaleString("en-US")} to warm up; servers one at a time. ` +
          "Repeats to within about half a percent where req/s rounds vary by a tenth; the kernel's work is not counted, and a server runs some 50 times slower under valgrind (see bench/workloads/instructions.ts).",
        "",
        instructionsTable(results),
      );
    }
  }

  if (only.has("gc")) {
    const databaseUrl = await seededDatabase("gc.db", 100);
    const counts = smoke ? { warmUpCalls: 300, calls: 300 } : { warmUpCalls: 50_000, calls: 200_000 };
    const withoutFlag = startNodeFlags(root).filter((flag) => flag !== "--no-allocation-site-pretenuring");
    const gcServer = (name: string, start: (extraNodeArgs: string[], logFile: string) => Promise<PinnedProcess>) => {
      const logFile = join(scratch, `gc-${name.replace(/\W+/g, "-")}.log`);
      return { name, start: (extraNodeArgs: string[]) => start(extraNodeArgs, logFile), logFile };
    };
    const servers = [
      gcServer("project (npm start)", (extra, logFile) => startProject(databaseUrl, {}, { nodeArgs: [...startNodeFlags(root), ...extra], logFile })),
      gcServer("project, V8's pretenuring left on", (extra, logFile) => startProject(databaseUrl, {}, { nodeArgs: [...withoutFlag, ...extra], logFile })),
      gcServer("bare node:http2", (extra, logFile) =>
        spawnPinned({ name: "bare http2", cpu: serverCpu, script: join(root, "bench/servers/bare-http2-server.ts"), env: { PORT: "0" }, nodeArgs: extra, logFile }).then((server) => (started.push(server), server)),
      ),
    ];
    log("garbage collection per unary gRPC call ...");
    const rows = await measureGcCost(servers, { ...counts, rounds, loadCpu }, log);
    sections.push(
      "",
      "## Garbage collection per unary gRPC call",
      "",
      `GetFeature over h2c (h2load -c 8 -m 8), ${counts.calls.toLocaleString("en-US")} calls after ${counts.warmUpCalls.toLocaleString("en-US")}, each server started fresh with Node's --trace-gc-nvp added to its own flags; median of the rounds. ` +
        "Promoted: what minor collections moved to the old generation (each call's objects should die young). The second row is the project without --no-allocation-site-pretenuring (README, Performance).",
      "",
      gcCostTable(rows),
    );
  }

  if (only.has("memory")) {
    const results = [];
    for (const streams of sizes.idle) {
      log(`idle memory with ${streams} streams ...`);
      results.push(await measureIdleMemory(() => startProject(`sqlite:${join(scratch, `idle-${streams}.db`)}`), streams, loadCpu));
    }
    sections.push("", "## Memory per idle open stream", "", "A fresh server each time; SubscribeNotes streams held open with nothing to deliver.", "", idleMemoryTable(results));
  }

  if (only.has("wire")) {
    sections.push("", "## Wire size per message", "", wireSizeTable());
  }

  if (only.has("browser")) {
    const server = await startProject(await seededDatabase("browser.db", sizes.browserUsers));
    log(`browser: ${sizes.browserUsers} users ...`);
    const results = await measureBrowserStream(`http://127.0.0.1:${server.port}`, sizes.browserUsers, rounds, log);
    await server.stop();
    sections.push("", "## Browser: the web app streaming users in Chromium", "", "\"Load all\" with 1,000-user pages; from the click to the first row on screen and to the last row loaded. Chromium is not pinned.", "", browserStreamTable(results));
  }
  return sections.join("\n") + "\n";
}

const stopAll = () => Promise.all(started.map((server) => server.stop()));
process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));
try {
  const report = await main();
  process.stdout.write(report);
  if (values.out) writeFileSync(values.out, report);
} finally {
  await stopAll();
  for (const remove of externals) await remove().catch((error: unknown) => log(`cleanup: ${(error as Error).message}`));
  rmSync(scratch, { recursive: true, force: true });
}

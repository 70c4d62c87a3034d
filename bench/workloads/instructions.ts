import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { h2load } from "../lib/h2load.js";
import type { PinnedProcess, SpawnPinnedOptions } from "../lib/pinned-process.js";
import { formatNumber } from "../lib/stats.js";
import { unaryCases } from "./request-cases.js";

const run = promisify(execFile);

export interface InstructionsOptions {
  /** Calls before counting starts (JIT tiers, caches, pools). */
  warmUpCalls: number;
  /** Calls counted. */
  calls: number;
  /** Pin h2load to this CPU. */
  loadCpu: number | undefined;
  /** Where callgrind writes its counts. */
  scratch: string;
}

/** How measureInstructions has a server started: under valgrind, with Node flags of its own added. */
export interface InstructionsSpawn extends Required<Pick<SpawnPinnedOptions, "wrapper" | "startTimeoutMs">> {
  /** Flags to add to the server's own Node flags. */
  extraNodeArgs: string[];
}

export interface InstructionsResult {
  server: string;
  instructionsPerCall: number;
}

/** Whether valgrind's callgrind (and callgrind_control, to switch counting on and off) can run here. */
export function callgrindAvailable(): boolean {
  try {
    execFileSync("valgrind", ["--version"], { stdio: "ignore" });
    execFileSync("callgrind_control", ["--help"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Instructions a server executes per unary gRPC GetFeature call, counted by valgrind's
 * callgrind. Unlike requests per second on a shared machine, the count repeats to within about
 * half a percent, whatever else the machine is doing: a yardstick for changes too small for the
 * throughput rounds to see. Counting runs only while the measured calls run (after the
 * warm-up), the GC and the compilers included (on the main thread: see below); the kernel's
 * work is not counted.
 *
 * Under valgrind a server runs some 50 times slower, so what is cached per millisecond (the
 * log line's time string) is remade more often than at full speed, and what a busy server
 * batches per event-loop turn is batched more: the figures are for comparing servers and
 * builds in one run, not a model of a call's time.
 */
export async function measureInstructions(
  servers: { name: string; start(extras: InstructionsSpawn): Promise<PinnedProcess> }[],
  options: InstructionsOptions,
  log: (line: string) => void,
): Promise<InstructionsResult[]> {
  const request = unaryCases()[0]!;
  const results: InstructionsResult[] = [];
  for (const [index, server] of servers.entries()) {
    const outFile = `callgrind-${index}.out`;
    const wrapper = ["valgrind", "--tool=callgrind", "--smc-check=all-non-file", "--instr-atstart=no", `--callgrind-out-file=${join(options.scratch, outFile)}`];
    // V8's --predictable runs the GC and the compilers on the main thread, in an order that does
    // not depend on threads' timing: without it, the same build's count moved by 4% from run to
    // run (how much marking the concurrent threads did), with it by half a percent.
    const running = await server.start({ wrapper, startTimeoutMs: 180_000, extraNodeArgs: ["--predictable"] });
    try {
      const load = (requests: number) =>
        h2load({ url: `http://127.0.0.1:${running.port}${request.path}`, headers: request.headers, body: request.body, requests, cpu: options.loadCpu });
      await load(options.warmUpCalls);
      await run("callgrind_control", ["--instr=on", String(running.pid)]);
      const measured = await load(options.calls);
      await run("callgrind_control", ["--instr=off", String(running.pid)]);
      await run("callgrind_control", ["--dump", String(running.pid)]);
      if (measured.failed > 0 || measured.succeeded !== options.calls) throw new Error(`${server.name}: ${measured.failed} of ${options.calls} calls failed under callgrind`);
    } finally {
      await running.stop();
    }
    const instructionsPerCall = countedInstructions(options.scratch, outFile) / options.calls;
    log(`instructions: ${server.name}: ${formatNumber(instructionsPerCall, 0)} a call`);
    results.push({ server: server.name, instructionsPerCall });
  }
  return results;
}

/** The instructions in callgrind's dumps (one file per dump; counting was on for the measured calls only). */
function countedInstructions(directory: string, prefix: string): number {
  let total = 0;
  for (const file of readdirSync(directory).filter((name) => name.startsWith(prefix))) {
    const text = readFileSync(join(directory, file), "utf8");
    // "totals:" closes each part; its "summary:" line near the top reads 0 when counting began later.
    total += Number(/^totals: (\d+)/m.exec(text)?.[1] ?? 0);
  }
  if (total === 0) throw new Error(`no instructions counted in ${directory}/${prefix}*`);
  return total;
}

export function instructionsTable(results: readonly InstructionsResult[]): string {
  const of = (name: string) => results.find((result) => result.server === name)?.instructionsPerCall;
  const grpcJs = of("grpc-js");
  const rows = results.map(({ server, instructionsPerCall }) => {
    const ratio = grpcJs === undefined ? "" : `${formatNumber(grpcJs / instructionsPerCall, 2)}x`;
    return `| ${server} | ${formatNumber(instructionsPerCall, 0)} | ${ratio} |`;
  });
  return ["| server | instructions a call | grpc-js / server (higher: leaner) |", "|---|---:|---:|", ...rows].join("\n");
}

import { readFileSync, statSync } from "node:fs";
import { h2load } from "../lib/h2load.js";
import type { PinnedProcess } from "../lib/pinned-process.js";
import { formatNumber, median } from "../lib/stats.js";
import { unaryCases } from "./request-cases.js";
import { type GcTotals, parseGcTrace } from "../../server/test-support/gc-trace.js";

export interface GcCostOptions {
  /** Calls before the measured ones (JIT tiers, the young generation's size). */
  warmUpCalls: number;
  /** Calls measured. */
  calls: number;
  rounds: number;
  loadCpu: number | undefined;
}

/** A server to start with Node's --trace-gc-nvp added, and the file its output goes to. */
export interface GcServer {
  name: string;
  start(extraNodeArgs: string[]): Promise<PinnedProcess>;
  logFile: string;
}

export interface GcCostRow {
  server: string;
  calls: number;
  rounds: GcTotals[];
  /** Process CPU time (all threads) per round, ms. */
  cpuMs: number[];
}

/**
 * Unary gRPC GetFeature (as the unary table's first row) against each server started with
 * --trace-gc-nvp; per round, a fresh server: the warm-up, then the measured calls, reading what
 * V8 printed in between and the process's CPU time from /proc.
 */
export async function measureGcCost(servers: readonly GcServer[], options: GcCostOptions, log: (line: string) => void): Promise<GcCostRow[]> {
  const request = unaryCases()[0]!;
  const rows: GcCostRow[] = servers.map((server) => ({ server: server.name, calls: options.calls, rounds: [], cpuMs: [] }));
  for (let round = 1; round <= options.rounds; round++) {
    for (const [index, server] of servers.entries()) {
      const running = await server.start(["--trace-gc-nvp"]);
      try {
        const load = (requests: number) =>
          h2load({ url: `http://127.0.0.1:${running.port}${request.path}`, headers: request.headers, body: request.body, requests, cpu: options.loadCpu });
        await load(options.warmUpCalls);
        const file = server.logFile;
        const from = statSync(file).size;
        const cpuBefore = processCpuMs(running.pid);
        const measured = await load(options.calls);
        const cpuMs = processCpuMs(running.pid) - cpuBefore;
        if (measured.failed > 0) throw new Error(`${server.name}: ${measured.failed} failed calls`);
        const totals = parseGcTrace(readFileSync(file).subarray(from).toString("utf8"));
        const row = rows[index] as GcCostRow;
        row.rounds.push(totals);
        row.cpuMs.push(cpuMs);
        log(`gc round ${round}: ${server.name}: ${formatNumber(totals.promotedBytes / options.calls)} B promoted a call, GC pause ${formatNumber((1000 * totals.pauseMs) / options.calls, 2)} µs a call`);
      } finally {
        await running.stop();
      }
    }
  }
  return rows;
}

/** User and system time of every thread of a process, ms. */
function processCpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th,
  // in clock ticks of 1/100 s (Linux's USER_HZ).
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export function gcCostTable(rows: readonly GcCostRow[]): string {
  const perCall = (row: GcCostRow, pick: (totals: GcTotals) => number) => median(row.rounds.map(pick)) / row.calls;
  const lines = [
    "| server | scavenges | full GCs | promoted to the old generation a call | GC pause a call (main thread) | GC on helper threads a call | process CPU a call |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.server} | ${formatNumber(median(row.rounds.map((totals) => totals.scavenges)))} | ${formatNumber(median(row.rounds.map((totals) => totals.fullCollections)))} | ` +
        `${formatNumber(perCall(row, (totals) => totals.promotedBytes))} B | ${formatNumber(1000 * perCall(row, (totals) => totals.pauseMs), 2)} µs | ` +
        `${formatNumber(1000 * perCall(row, (totals) => totals.backgroundMs), 2)} µs | ${formatNumber((1000 * median(row.cpuMs)) / row.calls, 1)} µs |`,
    );
  }
  return lines.join("\n");
}

import { spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { formatNumber, median } from "../lib/stats.js";

export interface LoggerRow {
  label: string;
  /** Microseconds of process CPU per line, one figure per round. */
  microseconds: number[];
}

const LOGGERS = [
  { kind: "hand", label: "hand-written (server/observability/logger.ts): one write per event-loop turn" },
  { kind: "pino", label: "pino 10, asynchronous destination (sonic-boom)" },
] as const;

/**
 * The cost of one call's log line with each logger, each in a fresh Node process pinned to `cpu`
 * whose stdout is a file (as the bench's servers log): process CPU time per line, formatting and
 * writing included, 64 lines per event-loop turn. Rounds alternate the loggers.
 */
export function measureLoggerCost(options: { rounds: number; lines: number; cpu?: number; scratch: string; root: string }): LoggerRow[] {
  const rows: LoggerRow[] = LOGGERS.map((logger) => ({ label: logger.label, microseconds: [] }));
  for (let round = 0; round < options.rounds; round++) {
    for (const [index, logger] of LOGGERS.entries()) {
      const out = openSync(join(options.scratch, `lines-${logger.kind}.log`), "w");
      const node = [process.execPath, "--import", "tsx", join(options.root, "bench/workloads/logger-cost-child.ts"), logger.kind, String(options.lines)];
      const [command, ...args] = options.cpu === undefined ? node : ["taskset", "-c", String(options.cpu), ...node];
      const result = spawnSync(command as string, args, { stdio: ["ignore", out, "pipe"], encoding: "utf8" });
      closeSync(out);
      const microseconds = Number(result.stderr.trim());
      if (result.status !== 0 || !Number.isFinite(microseconds)) throw new Error(`${logger.kind} logger run failed: ${result.stderr}`);
      (rows[index] as LoggerRow).microseconds.push(microseconds);
    }
  }
  return rows;
}

export function loggerTable(rows: readonly LoggerRow[]): string {
  const [hand] = rows;
  const lines = ["| logger | µs of CPU per call line | vs hand-written |", "|---|---:|---:|"];
  for (const row of rows) {
    const value = median(row.microseconds);
    lines.push(`| ${row.label} | ${formatNumber(value, 2)} | ${(value / median(hand!.microseconds)).toFixed(2)}x |`);
  }
  return lines.join("\n");
}

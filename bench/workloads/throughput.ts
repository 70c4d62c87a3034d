import { h2load } from "../lib/h2load.js";
import { rawCall } from "../lib/raw-call.js";
import { formatNumber, median, ratio } from "../lib/stats.js";
import type { RequestCase, ServerName } from "./request-cases.js";

export interface ThroughputOptions {
  rounds: number;
  /** Seconds per measurement (after a 1 s warm-up); or a fixed request count for smoke runs. */
  seconds?: number;
  requests?: number;
  /** Where h2load runs. */
  loadCpu?: number;
}

export interface ThroughputRow {
  label: string;
  messagesPerCall: number;
  /** Requests per second in each round, by server. */
  rounds: Partial<Record<ServerName, number[]>>;
}

/**
 * Each case on each server that speaks it, in interleaved rounds (case by case, server after
 * server, then again), so drift on a shared machine spreads over all servers alike. Every
 * server's answer is checked once before it is measured, and any failed request fails the run.
 */
export async function measureThroughput(
  cases: readonly RequestCase[],
  ports: Partial<Record<ServerName, number>>,
  options: ThroughputOptions,
  log: (line: string) => void,
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = cases.map((testCase) => ({ label: testCase.label, messagesPerCall: testCase.messagesPerCall, rounds: {} }));
  for (const testCase of cases) {
    for (const server of testCase.servers) {
      const port = ports[server];
      if (port === undefined) continue;
      try {
        testCase.verify(await rawCall(port, testCase.path, testCase.headers, testCase.body, testCase.h1));
      } catch (error) {
        throw new Error(`${server} answered "${testCase.label}" wrongly: ${(error as Error).message}`);
      }
    }
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const [index, testCase] of cases.entries()) {
      for (const server of testCase.servers) {
        const port = ports[server];
        if (port === undefined) continue;
        const result = await h2load({
          url: `http://127.0.0.1:${port}${testCase.path}`,
          headers: testCase.headers,
          body: testCase.body,
          h1: testCase.h1,
          clients: testCase.h1 ? 64 : 8,
          durationSeconds: options.seconds,
          requests: options.requests,
          cpu: options.loadCpu,
        });
        if (result.failed > 0) throw new Error(`${server}: ${result.failed} failed requests in "${testCase.label}"`);
        ((rows[index] as ThroughputRow).rounds[server] ??= []).push(result.requestsPerSecond);
        log(`round ${round}: ${testCase.label} on ${server}: ${formatNumber(result.requestsPerSecond)} req/s`);
      }
    }
  }
  return rows;
}

/**
 * Medians per server, and the project's ratio to grpc-js and to the ceiling of its HTTP version:
 * a bare node:http2 server for h2c rows, a bare node:http one for HTTP/1.1 rows. grpc-js speaks
 * only gRPC, so rows of the browsers' protocols compare with grpc-js's native gRPC figure for the
 * same method (the row whose label starts with the same method name). The ratio to grpc-js is
 * also given round by round (each round's project figure over the same round's grpc-js one),
 * lowest to highest: on a shared machine a 5 s figure moves by a tenth either way, and the spread
 * shows how far a ratio of medians can be trusted.
 */
export function throughputTable(rows: readonly ThroughputRow[], unit: "req/s" | "msg/s"): string {
  const lines = [
    `| workload | project ${unit} | grpc-js ${unit} (native gRPC) | ceiling ${unit} (bare node:http2 / node:http) | project / grpc-js | project / grpc-js by round (lowest–highest) | project / ceiling |`,
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  const valueOf = (row: ThroughputRow, server: ServerName) => {
    const rounds = row.rounds[server];
    return rounds === undefined ? Number.NaN : median(rounds) * (unit === "msg/s" ? row.messagesPerCall : 1);
  };
  const methodOf = (row: ThroughputRow) => row.label.split(" ")[0];
  for (const row of rows) {
    const value = (server: ServerName) => valueOf(row, server);
    const native = rows.find((other) => other.rounds["grpc-js"] !== undefined && methodOf(other) === methodOf(row));
    const [project, grpcJs] = [value("project"), native === undefined ? Number.NaN : valueOf(native, "grpc-js")];
    const bare = row.rounds["bare http1"] === undefined ? value("bare http2") : value("bare http1");
    const byRound = roundRatios(row.rounds.project, native?.rounds["grpc-js"]);
    lines.push(`| ${row.label} | ${formatNumber(project)} | ${formatNumber(grpcJs)} | ${formatNumber(bare)} | ${ratio(project, grpcJs)} | ${byRound} | ${ratio(project, bare)} |`);
  }
  return lines.join("\n");
}

/** The project's figure over grpc-js's, round by round, as "lowest–highest" (one figure if they agree). Rounds are per-call rates, so the message count per call cancels out. */
function roundRatios(project: readonly number[] | undefined, grpcJs: readonly number[] | undefined): string {
  if (project === undefined || grpcJs === undefined) return "n/a";
  const ratios = project.flatMap((value, round) => {
    const base = grpcJs[round];
    return base !== undefined && base > 0 ? [value / base] : [];
  });
  if (ratios.length === 0) return "n/a";
  const [lowest, highest] = [Math.min(...ratios).toFixed(2), Math.max(...ratios).toFixed(2)];
  return lowest === highest ? `${lowest}x` : `${lowest}–${highest}x`;
}

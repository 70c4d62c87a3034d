import http from "node:http";
import type { AddressInfo } from "node:net";
import { h2load } from "../lib/h2load.js";
import { formatNumber, median, ratio } from "../lib/stats.js";
import type { RequestCase } from "./request-cases.js";

export interface TracingRow {
  label: string;
  off: number[];
  on: number[];
}

/** An OTLP/HTTP endpoint that takes every export and drops it (the collector's cost is not the server's). */
export async function startOtlpSink(): Promise<{ url: string; exports: () => number; close(): void }> {
  let exports = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      exports++;
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, exports: () => exports, close: () => server.close() };
}

/**
 * The same cases on a server with tracing off (the default: no tracing code on the call path)
 * and one exporting every span over OTLP, in interleaved rounds.
 */
export async function measureTracingCost(
  cases: readonly RequestCase[],
  ports: { off: number; on: number },
  options: { rounds: number; seconds: number; requests?: number; loadCpu?: number },
  log: (line: string) => void,
): Promise<TracingRow[]> {
  const rows = cases.map((testCase) => ({ label: testCase.label, off: [] as number[], on: [] as number[] }));
  for (let round = 1; round <= options.rounds; round++) {
    for (const [index, testCase] of cases.entries()) {
      for (const mode of ["off", "on"] as const) {
        const result = await h2load({ url: `http://127.0.0.1:${ports[mode]}${testCase.path}`, headers: testCase.headers, body: testCase.body, h1: testCase.h1, durationSeconds: options.seconds, requests: options.requests, cpu: options.loadCpu });
        if (result.failed > 0) throw new Error(`tracing ${mode}: ${result.failed} failed requests in "${testCase.label}"`);
        (rows[index] as TracingRow)[mode].push(result.requestsPerSecond);
        log(`round ${round}: ${testCase.label}, tracing ${mode}: ${formatNumber(result.requestsPerSecond)} req/s`);
      }
    }
  }
  return rows;
}

export function tracingTable(rows: readonly TracingRow[]): string {
  const lines = ["| workload | tracing off req/s | tracing on (OTLP) req/s | on / off |", "|---|---:|---:|---:|"];
  for (const row of rows) lines.push(`| ${row.label} | ${formatNumber(median(row.off))} | ${formatNumber(median(row.on))} | ${ratio(median(row.on), median(row.off))} |`);
  return lines.join("\n");
}

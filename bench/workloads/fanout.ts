import type { SubscriptionProtocol } from "../lib/note-subscriptions.js";
import { runClient } from "../lib/run-client.js";
import { formatNumber, percentile } from "../lib/stats.js";

export interface FanoutResult {
  subscribers: number;
  protocol: SubscriptionProtocol;
  /** Servers the subscribers were split over (replicas on one PostgreSQL and one Redis when 2). */
  replicas: number;
  posts: number;
  expected: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
  /** p99 of the time this (one-core) load generator got to each note, its own work included. */
  processedP99: number;
  /** p99 and max of the servers' own fan-out time per note (their "delivered" debug lines, server/observability/time-deliveries.ts). */
  serverP99: number;
  serverMax: number;
  /** The same run against the bare ceiling server (bench/servers/bare-fanout-server.ts), where one was measured: its p99 and its own fan-out p99. */
  ceiling?: { p99: number; serverP99: number };
}

const client = new URL("./fanout-client.ts", import.meta.url).pathname;

/** A server under measure: its port, and its output (run at LOG_LEVEL=debug, for its fan-out times). */
export interface FanoutServer {
  port: number;
  output(): string;
}

/**
 * One RouteChat poster on the first server, `subscribers` SubscribeNotes streams split over the
 * servers: delivery latency from post to each subscriber, and each server's own fan-out time for
 * the measured notes (the warm-up notes left out).
 */
export async function measureFanout(servers: readonly FanoutServer[], subscribers: number, posts: number, protocol: SubscriptionProtocol, loadCpu: number | undefined): Promise<FanoutResult> {
  const before = servers.map((server) => server.output().length);
  const output = await runClient(client, [servers.map((server) => server.port).join(","), subscribers, posts, 100, protocol], loadCpu);
  const result = JSON.parse(output.trim().split("\n").at(-1) as string) as Omit<FanoutResult, "serverP99" | "serverMax">;
  const serverMs = servers.flatMap((server, index) => {
    const lines = server.output().slice(before[index]).split("\n").filter((line) => line.includes('"msg":"delivered"') && line.includes('"hub":"notes"'));
    return lines.map((line) => JSON.parse(line) as { ms: number }).slice(-posts).map((line) => line.ms);
  });
  return { ...result, serverP99: percentile(serverMs, 99), serverMax: percentile(serverMs, 100) };
}

export function fanoutTable(results: readonly FanoutResult[]): string {
  return [
    "| subscribers | protocol | replicas | notes posted | deliveries | p50 ms | p99 ms | max ms | p99 ms as processed | server fan-out p99 / max ms | ceiling p99 ms (its fan-out p99) | p99 / ceiling p99 |",
    "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map(
      (result) =>
        `| ${formatNumber(result.subscribers)} | ${result.protocol === "grpc" ? "gRPC (h2c)" : "Connect (HTTP/1.1)"} | ${result.replicas === 1 ? "1 (SQLite, in-process hub)" : `${result.replicas} (PostgreSQL + Redis; poster on the first)`} | ${result.posts} | ${formatNumber(result.delivered)} of ${formatNumber(result.expected)} | ${formatNumber(result.p50, 1)} | ${formatNumber(result.p99, 1)} | ${formatNumber(result.max, 1)} | ${formatNumber(result.processedP99, 1)} | ${formatNumber(result.serverP99, 1)} / ${formatNumber(result.serverMax, 1)} | ${ceilingColumns(result)} |`,
    ),
  ].join("\n");
}

function ceilingColumns(result: FanoutResult): string {
  if (result.ceiling === undefined) return "n/a | n/a";
  return `${formatNumber(result.ceiling.p99, 1)} (${formatNumber(result.ceiling.serverP99, 1)}) | ${(result.p99 / result.ceiling.p99).toFixed(2)}x`;
}

import type { SubscriptionProtocol } from "../lib/note-subscriptions.js";
import { runClient } from "../lib/run-client.js";
import { formatNumber, percentile } from "../lib/stats.js";

export interface FanoutResult {
  subscribers: number;
  protocol: SubscriptionProtocol;
  /** Servers the subscribers were split over (replicas on one PostgreSQL and one Redis when 2). */
  replicas: number;
  posts: number;
  /** Milliseconds between notes. */
  intervalMs: number;
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
 * the measured notes (the warm-up note left out).
 */
export async function measureFanout(servers: readonly FanoutServer[], subscribers: number, posts: number, protocol: SubscriptionProtocol, loadCpu: number | undefined): Promise<FanoutResult> {
  const before = servers.map((server) => server.output().length);
  const intervalMs = noteIntervalMs(subscribers);
  const output = await runClient(client, [servers.map((server) => server.port).join(","), subscribers, posts, intervalMs, protocol], loadCpu);
  const result = { ...(JSON.parse(output.trim().split("\n").at(-1) as string) as Omit<FanoutResult, "serverP99" | "serverMax" | "intervalMs">), intervalMs };
  const serverMs = servers.flatMap((server, index) => {
    const lines = server.output().slice(before[index]).split("\n").filter((line) => line.includes('"msg":"delivered"') && line.includes('"hub":"notes"'));
    return lines.map((line) => JSON.parse(line) as { ms: number }).slice(-posts).map((line) => line.ms);
  });
  return { ...result, serverP99: percentile(serverMs, 99), serverMax: percentile(serverMs, 100) };
}

/**
 * Notes are spaced so that every case offers at most 10,000 deliveries a second: 100 ms apart
 * to 1,000 subscribers, 1 s apart to 10,000. The figure is then a note's fan-out latency, not
 * the growth of a queue: 10,000 subscribers 100 ms apart is 100,000 deliveries a second, and
 * over HTTP/1.1 (one connection, so one write system call, per subscriber) even a bare
 * node:http server needs 83-135 ms on this machine to write one note to 10,000 connections;
 * the latencies then grow with every note posted (p99 540-850 ms after 20 of them, RESULTS.md).
 */
export function noteIntervalMs(subscribers: number): number {
  return Math.max(100, subscribers / 10);
}

export function fanoutTable(results: readonly FanoutResult[]): string {
  return [
    "| subscribers | protocol | replicas | notes posted, ms apart | deliveries | p50 ms | p99 ms | max ms | p99 ms as processed | server fan-out p99 / max ms |",
    "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map(
      (result) =>
        `| ${formatNumber(result.subscribers)} | ${result.protocol === "grpc" ? "gRPC (h2c)" : "Connect (HTTP/1.1)"} | ${result.replicas === 1 ? "1 (SQLite, in-process hub)" : `${result.replicas} (PostgreSQL + Redis; poster on the first)`} | ${result.posts}, ${formatNumber(result.intervalMs)} | ${formatNumber(result.delivered)} of ${formatNumber(result.expected)} | ${formatNumber(result.p50, 1)} | ${formatNumber(result.p99, 1)} | ${formatNumber(result.max, 1)} | ${formatNumber(result.processedP99, 1)} | ${formatNumber(result.serverP99, 1)} / ${formatNumber(result.serverMax, 1)} |`,
    ),
  ].join("\n");
}

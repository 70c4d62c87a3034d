import { runClient } from "../lib/run-client.js";
import { formatNumber } from "../lib/stats.js";

export interface FanoutResult {
  subscribers: number;
  /** Servers the subscribers were split over (replicas on one PostgreSQL and one Redis when 2). */
  replicas: number;
  posts: number;
  expected: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
}

const client = new URL("./fanout-client.ts", import.meta.url).pathname;

/**
 * One RouteChat poster on the first port, `subscribers` SubscribeNotes streams split over the
 * ports: delivery latency from post to each subscriber.
 */
export async function measureFanout(ports: readonly number[], subscribers: number, posts: number, loadCpu: number | undefined): Promise<FanoutResult> {
  const output = await runClient(client, [ports.join(","), subscribers, posts, 100], loadCpu);
  return JSON.parse(output.trim().split("\n").at(-1) as string) as FanoutResult;
}

export function fanoutTable(results: readonly FanoutResult[]): string {
  return [
    "| subscribers | replicas | notes posted | deliveries | p50 ms | p99 ms | max ms |",
    "|---:|---|---:|---:|---:|---:|---:|",
    ...results.map(
      (result) =>
        `| ${formatNumber(result.subscribers)} | ${result.replicas === 1 ? "1 (SQLite, in-process hub)" : `${result.replicas} (PostgreSQL + Redis; poster on the first)`} | ${result.posts} | ${formatNumber(result.delivered)} of ${formatNumber(result.expected)} | ${formatNumber(result.p50, 1)} | ${formatNumber(result.p99, 1)} | ${formatNumber(result.max, 1)} |`,
    ),
  ].join("\n");
}

import { runClient } from "../lib/run-client.js";
import { formatNumber } from "../lib/stats.js";

export interface FanoutResult {
  subscribers: number;
  posts: number;
  expected: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
}

const client = new URL("./fanout-client.ts", import.meta.url).pathname;

/** One RouteChat poster, `subscribers` SubscribeNotes streams: delivery latency from post to each subscriber. */
export async function measureFanout(port: number, subscribers: number, posts: number, loadCpu: number | undefined): Promise<FanoutResult> {
  const output = await runClient(client, [port, subscribers, posts, 100], loadCpu);
  return JSON.parse(output.trim().split("\n").at(-1) as string) as FanoutResult;
}

export function fanoutTable(results: readonly FanoutResult[]): string {
  return [
    "| subscribers | notes posted | deliveries | p50 ms | p99 ms | max ms |",
    "|---:|---:|---:|---:|---:|---:|",
    ...results.map(
      (result) =>
        `| ${formatNumber(result.subscribers)} | ${result.posts} | ${formatNumber(result.delivered)} of ${formatNumber(result.expected)} | ${formatNumber(result.p50, 1)} | ${formatNumber(result.p99, 1)} | ${formatNumber(result.max, 1)} |`,
    ),
  ].join("\n");
}

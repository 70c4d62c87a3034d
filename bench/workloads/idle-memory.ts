import type { PinnedProcess } from "../lib/pinned-process.js";
import { startClient } from "../lib/run-client.js";
import { formatNumber } from "../lib/stats.js";

export interface IdleMemoryResult {
  streams: number;
  baselineBytes: number;
  withStreamsBytes: number;
  bytesPerStream: number;
}

const client = new URL("./idle-streams-client.ts", import.meta.url).pathname;
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500));

/**
 * Resident memory per idle open stream: a fresh server, warmed up by opening and closing a few
 * streams, then `streams` idle SubscribeNotes streams held open; the growth in RSS divided by
 * the count. Includes everything a stream costs: HTTP/2 state, handler, hub subscription.
 */
export async function measureIdleMemory(startServer: () => Promise<PinnedProcess>, streams: number, loadCpu: number | undefined): Promise<IdleMemoryResult> {
  const server = await startServer();
  try {
    const warmUp = startClient(client, [server.port, 100], loadCpu, "open 100");
    await warmUp.ready;
    await warmUp.stop();
    await settle();
    const baselineBytes = server.rssBytes();
    const idle = startClient(client, [server.port, streams], loadCpu, `open ${streams}`);
    await idle.ready;
    await settle();
    const withStreamsBytes = server.rssBytes();
    await idle.stop();
    return { streams, baselineBytes, withStreamsBytes, bytesPerStream: (withStreamsBytes - baselineBytes) / streams };
  } finally {
    await server.stop();
  }
}

export function idleMemoryTable(results: readonly IdleMemoryResult[]): string {
  const mib = (bytes: number) => formatNumber(bytes / 1024 / 1024, 1);
  return [
    "| idle streams | server RSS before | with the streams open | per stream |",
    "|---:|---:|---:|---:|",
    ...results.map((result) => `| ${formatNumber(result.streams)} | ${mib(result.baselineBytes)} MiB | ${mib(result.withStreamsBytes)} MiB | ${formatNumber(result.bytesPerStream / 1024, 1)} KiB |`),
  ].join("\n");
}

import { describe, expect, it } from "vitest";
import { type ThroughputRow, throughputTable } from "./throughput.js";

const rows: ThroughputRow[] = [
  { label: "GetFeature gRPC (h2c)", messagesPerCall: 1, rounds: { project: [120, 90, 150], "grpc-js": [100, 100, 120], "bare http2": [200, 210, 190] } },
  { label: "GetFeature gRPC-Web (HTTP/1.1)", messagesPerCall: 1, rounds: { project: [110, 130, 100], "bare http1": [300, 300, 300] } },
  { label: "ListFeatures gRPC (h2c)", messagesPerCall: 10, rounds: { project: [5] } },
];

const rowOf = (table: string, label: string) => table.split("\n").find((line) => line.startsWith(`| ${label} |`));

describe("the throughput table", () => {
  it("gives the ratio of medians and, round by round, each round's project figure over the same round's grpc-js figure", () => {
    const table = throughputTable(rows, "req/s");
    // Medians 120 / 100; by round 1.20, 0.90, 1.25 (not the sorted figures paired: 0.90, 1.00, 1.25).
    expect(rowOf(table, "GetFeature gRPC (h2c)")).toBe("| GetFeature gRPC (h2c) | 120 | 100 | 200 | 1.20x | 0.90–1.25x | 0.60x |");
    // A browser row against grpc-js's native gRPC of the same method, round by round: 1.10, 1.30, 0.83.
    expect(rowOf(table, "GetFeature gRPC-Web (HTTP/1.1)")).toBe("| GetFeature gRPC-Web (HTTP/1.1) | 110 | 100 | 300 | 1.10x | 0.83–1.30x | 0.37x |");
    expect(rowOf(table, "ListFeatures gRPC (h2c)")).toBe("| ListFeatures gRPC (h2c) | 5 | n/a | n/a | n/a | n/a | n/a |");
  });

  it("gives one figure when every round agrees", () => {
    const table = throughputTable([{ label: "GetFeature gRPC (h2c)", messagesPerCall: 1, rounds: { project: [150, 300], "grpc-js": [100, 200] } }], "req/s");
    expect(rowOf(table, "GetFeature gRPC (h2c)")).toContain("| 1.50x | 1.50x |");
  });
});

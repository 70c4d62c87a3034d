import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { callgrindAvailable } from "./workloads/instructions.js";

const run = promisify(execFile);

// The harness end to end with tiny counts: every server starts, every workload runs and is
// checked, every table prints. The figures themselves mean nothing here (see bench/RESULTS.md).
describe("npm run bench -- --smoke", () => {
  it("runs every workload and prints every table", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "bench/run.ts", "--smoke"], { maxBuffer: 16 * 1024 * 1024, timeout: 170_000 });
    for (const heading of ["## Unary", "## Server streaming", "## Garbage collection per unary gRPC call", "## Fan-out", "## Storage engines", "## Tracing", "## Validation", "## Logging", "## Memory per idle open stream", "## Wire size", "## Browser"]) {
      expect(stdout).toContain(heading);
    }
    const row = (label: string) => stdout.split("\n").find((line) => line.startsWith(`| ${label}`)) ?? "";
    // Three servers measured on gRPC, with ratios computed.
    expect(row("GetFeature gRPC (h2c)")).toMatch(/^\| GetFeature gRPC \(h2c\) \| [\d,]+ \| [\d,]+ \| [\d,]+ \| [\d.]+x \| [\d.–]+x \| [\d.]+x \|$/);
    expect(row("ListFeatures gRPC")).toMatch(/\| [\d.]+x \| [\d.–]+x \| n\/a \|$/);
    // HTTP/1.1 rows are measured against the bare node:http ceiling; the browsers' protocols against grpc-js's native gRPC.
    expect(row("GetFeature Connect JSON (HTTP/1.1)")).toMatch(/^\| GetFeature Connect JSON \(HTTP\/1\.1\) \| [\d,]+ \| [\d,]+ \| [\d,]+ \| [\d.]+x \| [\d.–]+x \| [\d.]+x \|$/);
    // Every unary row has its ceiling: bare node:http2 answers the browsers' protocols on h2c too.
    expect(row("GetFeature Connect GET (h2c)")).toMatch(/^\| GetFeature Connect GET \(h2c\) \| [\d,]+ \| [\d,]+ \| [\d,]+ \| [\d.]+x \| [\d.–]+x \| [\d.]+x \|$/);
    // Server streams over gRPC-Web and Connect, both HTTP versions.
    expect(row("ListUsers Connect (HTTP/1.1)")).toMatch(/^\| ListUsers Connect \(HTTP\/1\.1\) \| [\d,]+ \| [\d,]+ \| n\/a \| [\d.]+x \| [\d.–]+x \| n\/a \|$/);
    expect(row("ListFeatures gRPC-Web (h2c)")).toMatch(/^\| ListFeatures gRPC-Web \(h2c\) \| [\d,]+ \| [\d,]+ \| n\/a \| [\d.]+x \| [\d.–]+x \| n\/a \|$/);
    expect(stdout).toMatch(/\| 20 \| gRPC \(h2c\) \| 1 \(SQLite, in-process hub\) \| 3 \| 60 of 60 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \/ [\d.]+ \| [\d.]+ \([\d.]+\) \| [\d.]+x \|$/m);
    expect(stdout).toMatch(/\| 20 \| Connect \(HTTP\/1\.1\) \| 1 \(SQLite, in-process hub\) \| 3 \| 60 of 60 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \/ [\d.]+ \| [\d.]+ \([\d.]+\) \| [\d.]+x \|$/m);
    // Across two replicas every note reaches every subscriber too.
    expect(stdout).toMatch(/\| 20 \| gRPC \(h2c\) \| 2 \(PostgreSQL \+ Redis; poster on the first\) \| 3 \| 60 of 60 \|.* \| n\/a \| n\/a \|$/m);
    expect(row("PostgreSQL")).toMatch(/^\| PostgreSQL \| [\d,]+ \| [\d.]+x \| [\d,.]+ \| [\d.]+x \|$/);
    expect(row("Point (GetFeature)")).toMatch(/^\| Point \(GetFeature\): 2 CEL rules \| [\d.]+ \| [\d,]+ \|$/);
    expect(row("project (npm start)")).toMatch(/^\| project \(npm start\) \| [\d,]+ \| [\d,]+ \| [\d,]+ B \| [\d.]+ µs \| [\d.]+ µs \| [\d.]+ µs \|$/);
    expect(row("bare node:http2")).toMatch(/^\| bare node:http2 \| /);
    expect(row("Connect (binary)")).toMatch(/^\| Connect \(binary\) \| 300 \| [\d,]+ \| [\d,]+ \|$/);
  }, 180_000);

  it("counts each server's instructions per call under callgrind, where valgrind is installed", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "bench/run.ts", "--smoke", "--only", "instructions"], { maxBuffer: 16 * 1024 * 1024, timeout: 290_000 });
    expect(stdout).toContain("## Instructions per unary gRPC call");
    if (!callgrindAvailable()) return void expect(stdout).toContain("Skipped: valgrind (callgrind) is not installed here.");
    const row = (label: string) => stdout.split("\n").find((line) => line.startsWith(`| ${label} |`)) ?? "";
    for (const server of ["project", "grpc-js", "bare http2"]) expect(row(server)).toMatch(/^\| [\w -]+ \| [1-9][\d,]{4,} \| [\d.]+x \|$/);
    expect(row("grpc-js")).toMatch(/\| 1\.00x \|$/);
  }, 300_000);
});

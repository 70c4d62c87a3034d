import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface H2loadOptions {
  url: string;
  headers: Record<string, string>;
  /** The request body (a POST); undefined sends a GET. */
  body: Uint8Array | undefined;
  /** HTTP/1.1 instead of h2c. */
  h1?: boolean;
  /** Connections. Default: 8. */
  clients?: number;
  /** Concurrent streams per connection (h2c only). Default: 8. */
  streams?: number;
  /** Measure for this many seconds after a 1 s warm-up; or a fixed request count. */
  durationSeconds?: number;
  requests?: number;
  /** Pin h2load to this CPU. */
  cpu?: number;
}

export interface H2loadResult {
  requestsPerSecond: number;
  succeeded: number;
  failed: number;
}

let bodies = 0;

/** Runs h2load and parses its summary. It checks HTTP status only: callers verify the gRPC status separately. */
export async function h2load(options: H2loadOptions): Promise<H2loadResult> {
  const bodyFile = join(tmpdir(), `bench-body-${process.pid}-${bodies++}`);
  if (options.body !== undefined) writeFileSync(bodyFile, options.body);
  const args = [
    "-c", String(options.clients ?? 8),
    "-m", String(options.h1 ? 1 : (options.streams ?? 8)),
    ...(options.body === undefined ? [] : ["-d", bodyFile]),
    ...Object.entries(options.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
    ...(options.h1 ? ["--h1"] : []),
    ...(options.requests !== undefined ? ["-n", String(options.requests)] : ["-D", String(options.durationSeconds ?? 5), "--warm-up-time", "1"]),
    options.url,
  ];
  const [command, ...rest] = options.cpu === undefined ? ["h2load", ...args] : ["taskset", "-c", String(options.cpu), "h2load", ...args];
  const { stdout } = await run(command as string, rest, { maxBuffer: 16 * 1024 * 1024 }).finally(() => rmSync(bodyFile, { force: true }));
  const rate = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout);
  const errored = /requests: .* (\d+) errored/.exec(stdout);
  const statuses = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
  if (!rate || !errored || !statuses) throw new Error(`unexpected h2load output:\n${stdout}`);
  // In timed runs h2load counts the requests still in flight when time is up as "failed";
  // what matters is that no answer was an error status and no request errored.
  const [, ok, s3, s4, s5] = statuses.map(Number) as [number, number, number, number, number];
  return { requestsPerSecond: Number(rate[1]), succeeded: ok, failed: s3 + s4 + s5 + Number(errored[1]) };
}

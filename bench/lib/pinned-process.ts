import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync } from "node:fs";

export interface PinnedProcess {
  name: string;
  port: number;
  pid: number;
  /** Resident set size now, in bytes (from /proc). */
  rssBytes(): number;
  /** Everything it has printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface SpawnPinnedOptions {
  name: string;
  /** CPU to pin to with taskset; undefined: no pinning. */
  cpu?: number;
  /** The script, run with Node 24: TypeScript through tsx, compiled JavaScript (.js) as it is. */
  script: string;
  env?: Record<string, string>;
  /** Extra Node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /**
   * Where the process's output goes. A file, not a pipe: reading a busy server's log through
   * a pipe would cost the benchmark process CPU time, and could slow the server down.
   */
  logFile: string;
  /** A command the process runs under, e.g. valgrind and its options. Default: none. */
  wrapper?: string[];
  /** How long it may take to print "listening on". Default: 30,000 ms. */
  startTimeoutMs?: number;
}

/** Starts a server script pinned to one core and resolves once it prints "listening on ...PORT". */
export async function spawnPinned(options: SpawnPinnedOptions): Promise<PinnedProcess> {
  const node = [...(options.wrapper ?? []), process.execPath, ...(options.nodeArgs ?? []), ...(options.script.endsWith(".js") ? [] : ["--import", "tsx"]), options.script];
  const [command, ...args] = options.cpu === undefined ? node : ["taskset", "-c", String(options.cpu), ...node];
  const log = openSync(options.logFile, "w");
  const child: ChildProcess = spawn(command as string, args, { env: { ...process.env, ...options.env }, stdio: ["ignore", log, log] });
  closeSync(log);
  // The start of the log only: a busy server logs gigabytes, more than a string can hold. A
  // megabyte, as a server started with --trace-gc-nvp prints a line per collection before it listens.
  const output = () => head(options.logFile, 1_000_000);
  const port = await new Promise<number>((resolve, reject) => {
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    const onExit = (code: number | null) => (clearInterval(poll), reject(new Error(`${options.name} exited with ${code}:\n${output()}`)));
    const poll = setInterval(() => {
      const match = /listening on (?:http:\/\/[^:\s]+:)?(\d+)/.exec(output());
      if (match) (clearInterval(poll), child.off("exit", onExit), resolve(Number(match[1])));
      else if (Date.now() > deadline) (clearInterval(poll), child.kill("SIGKILL"), reject(new Error(`${options.name} did not start:\n${output()}`)));
    }, 50);
    child.once("exit", onExit);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name: options.name,
    port,
    pid: child.pid!,
    output: () => readFileSync(options.logFile, "utf8"),
    rssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function head(path: string, bytes: number): string {
  const file = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.toString("utf8", 0, readSync(file, buffer, 0, bytes, 0));
  } finally {
    closeSync(file);
  }
}

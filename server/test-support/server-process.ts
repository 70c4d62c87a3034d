import { type ChildProcess, spawn } from "node:child_process";

const main = new URL("../main.ts", import.meta.url).pathname;

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the server's main module on a free port unless env says otherwise, and without the
 * SIGTERM delay (SHUTDOWN_DELAY_MS) unless env sets one. `script` is server/main.ts (run through
 * tsx) by default, or a compiled main.js (run by plain node, as `npm start` does).
 * `nodeArgs` go to Node itself, e.g. ["--max-old-space-size=96"].
 */
export async function spawnServer(env: Record<string, string>, options: { nodeArgs?: string[]; script?: string } = {}): Promise<ServerProcess> {
  const script = options.script ?? main;
  const transform = script.endsWith(".ts") ? ["--import", "tsx"] : [];
  // process.execPath: the Node 24 that runs the tests (npm puts it first on PATH).
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...transform, script], { env: { ...process.env, PORT: "0", SHUTDOWN_DELAY_MS: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  // The tail only: a long run (soak) logs far more than a test needs to read.
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk;
    if (output.length > 8 * 1024 * 1024) output = output.slice(-4 * 1024 * 1024);
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  // "close", not "exit": the last lines printed are read only once the pipes close.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) (clearTimeout(timer), resolve(match[1] as string));
    };
    child.stdout!.on("data", check);
    void exited.then((code) => (clearTimeout(timer), reject(new Error(`server exited with ${code}:\n${output}`))));
  });
  return {
    url,
    child,
    output: () => output,
    stop(signal = "SIGTERM") {
      child.kill(signal);
      return exited;
    },
  };
}

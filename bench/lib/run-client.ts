import { spawn } from "node:child_process";

/** Runs a load-generator script (pinned to `cpu` if given) and resolves with its stdout; rejects on a non-zero exit or after `timeoutMs`. */
export function runClient(script: string, args: readonly (string | number)[], cpu: number | undefined, timeoutMs = 120_000): Promise<string> {
  const node = [process.execPath, "--import", "tsx", script, ...args.map(String)];
  const [command, ...rest] = cpu === undefined ? node : ["taskset", "-c", String(cpu), ...node];
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, rest, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${script} exited with ${code}:\n${stderr}`));
    });
  });
}

/** Starts a client that prints `readyLine` once ready and runs until stopped. */
export function startClient(script: string, args: readonly (string | number)[], cpu: number | undefined, readyLine: string, timeoutMs = 120_000) {
  const node = [process.execPath, "--import", "tsx", script, ...args.map(String)];
  const [command, ...rest] = cpu === undefined ? node : ["taskset", "-c", String(cpu), ...node];
  const child = spawn(command as string, rest, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`${script} not ready:\n${output}`))), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes(readyLine)) (clearTimeout(timer), resolve());
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`${script} exited with ${code}:\n${output}`))));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    ready,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

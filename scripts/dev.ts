// `npm run dev`: the API server (restarted when server files change) and Vite's dev server
// (hot reload) together. The page is served by Vite and calls the API on its own port, which
// allows Vite's origin through CORS. Ctrl-C (or SIGTERM) stops both.
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createServer } from "vite";

const apiPort = Number(process.env.PORT ?? 8080);
const webPort = Number(process.env.WEB_PORT ?? 5173);
const host = process.env.HOST ?? "127.0.0.1";
const webOrigins = [`http://${host}:${webPort}`, `http://localhost:${webPort}`];
const apiUrl = `http://${host}:${apiPort}`;

const api = spawn(process.execPath, ["--watch-path=server", "--watch-path=gen", "--watch-path=validation", "--import", "tsx", "server/main.ts"], {
  stdio: "inherit",
  env: {
    ...process.env,
    PORT: String(apiPort),
    HOST: host,
    CORS_ORIGINS: [process.env.CORS_ORIGINS, ...webOrigins].filter(Boolean).join(","),
    DATABASE_URL: process.env.DATABASE_URL ?? "sqlite:data/dev.db",
  },
});

process.env.VITE_API_URL = apiUrl;
const vite = await createServer({
  configFile: new URL("../web/vite.config.ts", import.meta.url).pathname,
  server: { host, port: webPort, strictPort: true },
});
await vite.listen();
// The page calls the API as soon as it loads: announce both only once the API is listening
// (compiling the server on the fly takes seconds on a busy machine).
await untilListening(host, apiPort, 120_000);
console.log(`\n  Web app (hot reload): http://${host}:${webPort}/\n  API (gRPC, gRPC-Web, Connect): ${apiUrl}\n  Ctrl-C stops both.\n`);

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (api.exitCode === null) api.kill("SIGTERM");
  await vite.close();
  if (api.exitCode === null) await new Promise((resolve) => api.once("exit", resolve));
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
api.once("exit", (code) => {
  if (!stopping) {
    console.error(`API server exited (${code}); stopping the dev server too.`);
    void stop(code ?? 1);
  }
});

async function untilListening(hostname: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, hostname);
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
  while (!(await accepts())) {
    if (api.exitCode !== null) return; // its exit handler reports it
    if (Date.now() > deadline) throw new Error(`the API server did not listen on ${hostname}:${port} within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { launchChromium } from "../server/test-support/browser.js";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function refused(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`).then(
    () => false,
    () => true,
  );
}

describe("npm run dev", () => {
  it("serves the page from Vite, which calls the API on its own port; one SIGINT stops both", async () => {
    const [apiPort, webPort] = [await freePort(), await freePort()];
    const dev = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
      env: { ...process.env, PORT: String(apiPort), WEB_PORT: String(webPort), DATABASE_URL: "sqlite::memory:", LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    dev.stdout.on("data", (chunk) => (output += chunk));
    dev.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => dev.once("exit", resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!output.includes("Ctrl-C stops both")) {
        if (Date.now() > deadline || dev.exitCode !== null) throw new Error(`dev did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(output).toContain(`http://127.0.0.1:${webPort}/`);

      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${webPort}/`);
        // The features come from the API server, cross-origin. Vite compiles every module on the
        // page's first load; on a busy machine that alone has taken over 20 s.
        await page.getByRole("img", { name: "Map of 100 route guide features" }).waitFor({ timeout: 45_000 });
      } finally {
        await browser.close();
      }
    } finally {
      dev.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    expect(await refused(apiPort)).toBe(true);
    expect(await refused(webPort)).toBe(true);
  }, 150_000);
});

import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, expect, it } from "vitest";
import { PointSchema, RouteGuide } from "../gen/routeguide/route_guide_pb.js";
import { create } from "@bufbuild/protobuf";

const run = promisify(execFile);
const root = new URL("..", import.meta.url).pathname;
// Inside the repository, as build/ is, so the compiled server finds package.json above it.
const out = mkdtempSync(join(root, ".build-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// `npm start` runs `node build/server/main.js`: compiled JavaScript, no TypeScript transform.
it("the compiled server (npm run build:server) starts with plain node, serves, and stops on SIGTERM", async () => {
  await run(join(root, "node_modules/.bin/tsc"), ["-p", join(root, "tsconfig.build.json"), "--outDir", out], { cwd: root });
  const child = spawn(process.execPath, ["--enable-source-maps", join(out, "server/main.js")], {
    env: { ...process.env, PORT: "0", DATABASE_URL: "sqlite::memory:", SHUTDOWN_DELAY_MS: "0", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    const deadline = Date.now() + 30_000;
    let url: string | undefined;
    while (url === undefined) {
      url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const guide = createClient(RouteGuide, createGrpcTransport({ baseUrl: url }));
    const feature = await guide.getFeature(create(PointSchema, { latitude: 409146138, longitude: -746188906 }));
    expect(feature.name).toBe("Berkshire Valley Management Area Trail, Jefferson, NJ, USA");
    // The request rules and the web app's files are found from the compiled tree too.
    await expect(guide.getFeature(create(PointSchema, { latitude: 900000001 }))).rejects.toMatchObject({ rawMessage: expect.stringContaining("latitude: must be between") });
    expect((await fetch(`${url}/`)).status).toBe(200);
  } finally {
    child.kill("SIGTERM");
  }
  expect(await exited).toBe(0);
}, 90_000);

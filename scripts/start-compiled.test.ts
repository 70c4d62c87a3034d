import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, expect, it } from "vitest";
import { PointSchema, RouteGuide } from "../gen/routeguide/route_guide_pb.js";
import { spawnServer } from "../server/test-support/server-process.js";
import { readFileSync } from "node:fs";
import { startNodeFlags } from "./start-flags.js";

const run = promisify(execFile);
const root = new URL("..", import.meta.url).pathname;
// Inside the repository, as build/ is, so the compiled server finds package.json above it.
const out = mkdtempSync(join(root, ".build-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// `npm start` runs `node [flags] build/server/main.js`: compiled JavaScript, no TypeScript transform.
it("the compiled server (npm run build:server) starts with plain node, serves, and stops on SIGTERM", async () => {
  await run(join(root, "node_modules/.bin/tsc"), ["-p", join(root, "tsconfig.build.json"), "--outDir", out], { cwd: root });
  const server = await spawnServer({ DATABASE_URL: "sqlite::memory:", LOG_LEVEL: "info" }, { script: join(out, "server/main.js"), nodeArgs: startNodeFlags(root) });
  let exitCode: number | null | undefined;
  try {
    expect(server.child.spawnargs).not.toContain("tsx");
    const guide = createClient(RouteGuide, createGrpcTransport({ baseUrl: server.url }));
    const feature = await guide.getFeature(create(PointSchema, { latitude: 409146138, longitude: -746188906 }));
    expect(feature.name).toBe("Berkshire Valley Management Area Trail, Jefferson, NJ, USA");
    // The request rules and the web app's files are found from the compiled tree too.
    await expect(guide.getFeature(create(PointSchema, { latitude: 900000001 }))).rejects.toMatchObject({ rawMessage: expect.stringContaining("latitude: must be between") });
    expect((await fetch(`${server.url}/`)).status).toBe(200);
  } finally {
    exitCode = await server.stop("SIGTERM");
  }
  expect(exitCode).toBe(0);
}, 90_000);

it("the Dockerfile starts the server as npm start does, with the same Node flags", () => {
  const command = /^CMD (\[.*\])$/m.exec(readFileSync(join(root, "Dockerfile"), "utf8"));
  expect(JSON.parse(command?.[1] ?? "[]")).toEqual(["node", ...startNodeFlags(root), "build/server/main.js"]);
  // The young generation's cap (README, Performance): without it, V8 grows it under a burst of connections and keeps it.
  expect(startNodeFlags(root)).toContain("--max-semi-space-size=16");
  // No allocation-site pretenuring (README, Performance): V8 otherwise comes to allocate Node's
  // per-request objects in the old generation, where each request's stream then lives until a full GC.
  expect(startNodeFlags(root)).toContain("--no-allocation-site-pretenuring");
});

import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

const root = mkdtempSync(join(tmpdir(), "spa-"));
mkdirSync(join(root, "assets"));
writeFileSync(join(root, "index.html"), "<!doctype html><title>app</title>");
writeFileSync(join(root, "assets", "index-abc123.js"), "console.log('app')");
writeFileSync(join(root, "favicon.svg"), "<svg/>");
writeFileSync(join(root, "assets", "index-abc123.js.map"), '{"sources":["secret.ts"]}');
// Links are not followed: one to a file outside the root, and a dangling one (which once crashed start-up).
const outside = mkdtempSync(join(tmpdir(), "outside-"));
writeFileSync(join(outside, "secret.txt"), "not for the web");
symlinkSync(join(outside, "secret.txt"), join(root, "secret.txt"));
symlinkSync(join(root, "nowhere.txt"), join(root, "dangling.txt"));

let server: TestServer;
beforeAll(async () => (server = await startTestServer({ webRoot: root })));
afterAll(() => server.close());

describe("the built web app on the RPC port", () => {
  it("serves index.html for / and for page routes, revalidated by ETag", async () => {
    for (const path of ["/", "/users/42"]) {
      const response = await fetch(server.url + path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-cache");
      expect(await response.text()).toContain("<title>app</title>");
    }
    const first = await fetch(server.url + "/");
    const again = await fetch(server.url + "/", { headers: { "if-none-match": first.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  it("caches content-hashed assets for a year, and types every file", async () => {
    const asset = await fetch(server.url + "/assets/index-abc123.js");
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const icon = await fetch(server.url + "/favicon.svg");
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(icon.headers.get("cache-control")).toBe("no-cache");
  });

  it("answers 404 for missing files, and leaves RPCs and /metrics alone", async () => {
    expect((await fetch(server.url + "/assets/missing.js")).status).toBe(404);
    expect((await fetch(server.url + "/../package.json")).status).not.toBe(200);
    expect((await fetch(server.url + "/metrics")).headers.get("content-type")).toMatch(/^text\/plain/);
    const guide = createClient(RouteGuide, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
    expect((await guide.getFeature({ latitude: 409146138, longitude: -746188906 })).name).toContain("Berkshire Valley");
  });

  it("serves no source maps and follows no symbolic links", async () => {
    expect((await fetch(server.url + "/assets/index-abc123.js.map")).status).toBe(404);
    expect((await fetch(server.url + "/secret.txt")).status).toBe(404);
    expect((await fetch(server.url + "/dangling.txt")).status).toBe(404);
  });

  it("forbids framing and foreign scripts with a Content-Security-Policy", async () => {
    const page = await fetch(server.url + "/");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("says how to build the app when there is no build, without saying where the server's files are", async () => {
    const bare = await startTestServer({ webRoot: join(root, "does-not-exist") });
    try {
      const response = await fetch(bare.url + "/");
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain("npm run build");
      expect(text).not.toContain(root);
    } finally {
      await bare.close();
    }
  });
});

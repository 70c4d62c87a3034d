import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
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

  it("says how to build the app when there is no build", async () => {
    const bare = await startTestServer({ webRoot: join(root, "does-not-exist") });
    try {
      const response = await fetch(bare.url + "/");
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("npm run build");
    } finally {
      await bare.close();
    }
  });
});

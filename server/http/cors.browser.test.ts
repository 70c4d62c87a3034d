import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../test-support/browser.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

let api: TestServer;
let allowedPage: http.Server;
let otherPage: http.Server;
let browser: Browser;

/** A blank page on its own origin, from which the test runs fetch() against the API. */
async function pageServer(): Promise<http.Server> {
  const server = http.createServer((_request, response) => {
    response.setHeader("content-type", "text/html");
    response.end("<!doctype html><title>page</title>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
const originOf = (server: http.Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

beforeAll(async () => {
  allowedPage = await pageServer();
  otherPage = await pageServer();
  api = await startTestServer({ corsOrigins: [originOf(allowedPage)] });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
  allowedPage?.close();
  otherPage?.close();
});

/** Runs a Connect JSON call (which needs a preflight) from a page served by `page`. */
async function callFrom(page: http.Server, path: string, body: object) {
  const tab = await browser.newPage();
  try {
    await tab.goto(originOf(page));
    return await tab.evaluate(
      async ({ url, body }) => {
        try {
          const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
          return { ok: true, status: response.status, body: await response.json() };
        } catch (error) {
          return { ok: false, error: String(error) };
        }
      },
      { url: `${api.url}${path}`, body },
    );
  } finally {
    await tab.close();
  }
}

describe("CORS in Chromium", () => {
  it("lets a page from an origin in CORS_ORIGINS call the API", async () => {
    const result = await callFrom(allowedPage, "/routeguide.RouteGuide/GetFeature", { latitude: 409146138, longitude: -746188906 });
    expect(result).toMatchObject({ ok: true, status: 200, body: { name: "Berkshire Valley Management Area Trail, Jefferson, NJ, USA" } });
  });

  it("refuses a page from any other origin", async () => {
    const result = await callFrom(otherPage, "/routeguide.RouteGuide/GetFeature", { latitude: 409146138, longitude: -746188906 });
    expect(result.ok).toBe(false);
    expect(result.error).toContain("Failed to fetch");
  });

  it("lets the allowed page read gRPC-Web error status and the exposed request id", async () => {
    const tab = await browser.newPage();
    await tab.goto(originOf(allowedPage));
    const seen = await tab.evaluate(async (url) => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", "x-request-id": "from-the-page" },
        body: new Uint8Array([0, 0, 0, 0, 0]),
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      // A trailers-only response: the status in the headers (readable only if CORS exposes them), no body.
      return { status: response.headers.get("grpc-status"), message: response.headers.get("grpc-message"), bodyLength: bytes.length };
    }, `${api.url}/userservice.UserService/GetUser`);
    await tab.close();
    expect(seen).toMatchObject({ status: "16", bodyLength: 0 });
    expect(decodeURIComponent(seen.message ?? "")).toContain("missing bearer token");
  });

  it("exposes the request id header of successful calls to the allowed page", async () => {
    const tab = await browser.newPage();
    await tab.goto(originOf(allowedPage));
    const requestId = await tab.evaluate(async (url) => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "page-42" },
        body: JSON.stringify({ latitude: 0, longitude: 0 }),
      });
      return response.headers.get("x-request-id");
    }, `${api.url}/routeguide.RouteGuide/GetFeature`);
    await tab.close();
    expect(requestId).toBe("page-42");
  });
});

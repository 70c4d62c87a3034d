import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { launchChromium } from "../test-support/browser.js";
import { type ServerProcess, spawnServer } from "../test-support/server-process.js";

/** A span as OTLP/HTTP JSON carries it (the fields the test reads). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

/** An OTLP/HTTP receiver on a real port: collects every span POSTed to /v1/traces. */
async function startOtlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; services: Set<string>; close(): void }> {
  const spans: OtlpSpan[] = [];
  const services = new Set<string>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/v1/traces") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        for (const resourceSpans of body.resourceSpans ?? []) {
          for (const attribute of resourceSpans.resource?.attributes ?? []) if (attribute.key === "service.name") services.add(attribute.value.stringValue);
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) spans.push(...scopeSpans.spans);
        }
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, services, close: () => server.close() };
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let server: ServerProcess;
let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), "tracing-"));

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  server = await spawnServer({
    DATABASE_URL: `sqlite:${join(dir, "app.db")}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: "tracing-test",
    OTEL_BSP_SCHEDULE_DELAY: "100",
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT set)", () => {
  it("exports one trace from the page's call to the database: server span under the page's traceparent, storage and hub spans beneath", async () => {
    const page = await browser.newPage();
    const sent: string[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/routeguide.RouteNotesService/PostNote")) sent.push(request.headers()["traceparent"] ?? "");
    });
    await page.goto(server.url);
    await page.getByTestId("link-state").and(page.locator("[data-state=live]")).waitFor();
    const form = page.getByRole("form", { name: "Post a note" });
    await form.getByRole("textbox", { name: "Note", exact: true }).fill("traced note");
    await form.getByRole("button", { name: "Post" }).click();
    await page.getByRole("log", { name: "Notes" }).getByText("traced note").waitFor();

    expect(sent).toHaveLength(1);
    const [, traceId, pageSpanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(sent[0]!)!;
    const deadline = Date.now() + 15_000;
    const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
    while (!inTrace().some((span) => span.name === "route_notes.add") || !inTrace().some((span) => span.kind === 2)) {
      if (Date.now() > deadline) throw new Error(`spans not exported; got ${receiver.spans.map((span) => span.name).join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const spans = inTrace();
    const call = spans.find((span) => span.name === "routeguide.RouteNotesService/PostNote")!;
    // SERVER span (kind 2), child of the page's span, with the rpc.* conventions.
    expect(call).toMatchObject({ kind: 2, parentSpanId: pageSpanId });
    expect(attribute(call, "rpc.system")).toBe("connect_rpc");
    expect(attribute(call, "rpc.service")).toBe("routeguide.RouteNotesService");
    expect(attribute(call, "rpc.method")).toBe("PostNote");
    expect(attribute(call, "rpc.grpc.status_code")).toBe(0);
    // Beneath it: the insert (CLIENT, db.* conventions) and the hub publish (PRODUCER).
    const insert = spans.find((span) => span.name === "route_notes.add")!;
    expect(insert).toMatchObject({ parentSpanId: call.spanId, kind: 3 });
    expect(attribute(insert, "db.system.name")).toBe("sqlite");
    const publish = spans.find((span) => span.name === "notes publish")!;
    expect(publish).toMatchObject({ parentSpanId: call.spanId, kind: 4 });
    expect(receiver.services).toContain("tracing-test");
    // The call's log line carries the trace id.
    expect(server.output()).toMatch(new RegExp(`"method":"routeguide.RouteNotesService/PostNote".*"traceId":"${traceId}"`));
  });

  it("traces native gRPC calls on the lean path alike, streams included (the span ends with the stream)", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parentId = "00f067aa0ba902b7";
    const guide = createClient(RouteGuide, createGrpcTransport({ baseUrl: server.url, interceptors: [(next) => (request) => (request.header.set("traceparent", `00-${traceId}-${parentId}-01`), next(request))] }));
    await guide.getFeature({ latitude: 409146138, longitude: -746188906 });
    const features = [];
    for await (const feature of guide.listFeatures({ lo: { latitude: 400000000, longitude: -750000000 }, hi: { latitude: 420000000, longitude: -730000000 } })) features.push(feature);
    expect(features.length).toBeGreaterThan(0);
    const deadline = Date.now() + 15_000;
    const named = (name: string) => receiver.spans.find((span) => span.traceId === traceId && span.name === name);
    while (!named("routeguide.RouteGuide/GetFeature") || !named("routeguide.RouteGuide/ListFeatures")) {
      if (Date.now() > deadline) throw new Error("gRPC spans not exported");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const name of ["routeguide.RouteGuide/GetFeature", "routeguide.RouteGuide/ListFeatures"]) {
      const span = named(name)!;
      expect(span).toMatchObject({ kind: 2, parentSpanId: parentId });
      expect(attribute(span, "rpc.system")).toBe("grpc");
      expect(attribute(span, "rpc.grpc.status_code")).toBe(0);
    }
  });

  it("sends no trace and logs no trace id when the OTEL variables are unset", async () => {
    const plain = await spawnServer({ DATABASE_URL: `sqlite:${join(dir, "plain.db")}` });
    try {
      const response = await fetch(`${plain.url}/routeguide.RouteGuide/GetFeature`, {
        method: "POST",
        headers: { "content-type": "application/json", traceparent: "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01" },
        body: JSON.stringify({ latitude: 409146138, longitude: -746188906 }),
      });
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(plain.output()).toContain('"method":"routeguide.RouteGuide/GetFeature"');
      expect(plain.output()).not.toContain("traceId");
      expect(receiver.spans.some((span) => span.traceId === "0123456789abcdef0123456789abcdef")).toBe(false);
    } finally {
      await plain.stop();
    }
  });
});

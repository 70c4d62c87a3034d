import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../../gen/routeguide/route_notes_pb.js";
import { UserService } from "../../gen/userservice/user_service_pb.js";
import { clientFor, collect, eventually, PROTOCOL_MATRIX, startTestServer, type TestServer } from "../test-support/test-server.js";
import { createLogger } from "./logger.js";

const lines: Record<string, any>[] = [];
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ logger: createLogger({ level: "info", write: (line) => lines.push(JSON.parse(line)) }) });
});
afterAll(() => server.close());

describe("call logs", () => {
  it("write one JSON line per call with method, protocol, HTTP version, code, duration, peer, user agent and request id", async () => {
    lines.length = 0;
    for (const protocol of [PROTOCOL_MATRIX[0]!, PROTOCOL_MATRIX[1]!]) {
      await clientFor(RouteGuide, protocol.make(server.url)).getFeature({ latitude: 0, longitude: 0 }, { headers: { "x-request-id": `req-${protocol.name}` } });
    }
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: "info", msg: "call", method: "routeguide.RouteGuide/GetFeature", protocol: "grpc", httpVersion: "2.0", code: "OK", requestId: "req-grpc h2c" });
    expect(lines[1]).toMatchObject({ protocol: "grpc-web", httpVersion: "1.1", code: "OK" });
    // Both call paths: the lean gRPC one and connect-node's (once logged as undefined:undefined).
    expect(lines[0]!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(lines[1]!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(lines[0]!.userAgent).toMatch(/connect-es/);
    expect(typeof lines[0]!.durationMs).toBe("number");
  });

  it("log request metadata such as ip, with authorization redacted, and failures with their code", async () => {
    lines.length = 0;
    const users = clientFor(UserService, PROTOCOL_MATRIX[3]!.make(server.url, "a-secret-token-value"));
    await users.getUser({ id: "x" }, { headers: { ip: "203.0.113.7" } }).catch(() => undefined);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ code: "UNAUTHENTICATED", metadata: { ip: "203.0.113.7", authorization: "[redacted]" } });
    expect(JSON.stringify(lines)).not.toContain("a-secret-token-value");
  });

  it("bound what a caller can put in a line, and redact every credential-like header", async () => {
    lines.length = 0;
    const guide = clientFor(RouteGuide, PROTOCOL_MATRIX[3]!.make(server.url));
    const headers: Record<string, string> = { "a-huge": "h".repeat(6_000), "x-api-key": "key-value-1", "x-session-token": "token-value-2", "x-request-id": "r".repeat(500) };
    for (let i = 0; i < 60; i++) headers[`x-extra-${i}`] = "v";
    await guide.getFeature({ latitude: 0, longitude: 0 }, { headers });
    const line = JSON.stringify(lines[0]);
    expect(line.length).toBeLessThan(4_000);
    expect(line).not.toMatch(/key-value-1|token-value-2/);
    expect(lines[0]!.metadata["a-huge"]).toMatch(/^h{256}…\[5744 more characters\]$/);
    expect(lines[0]!.metadata["[omitted]"]).toMatch(/more headers/);
    // A caller's request id is used only if it looks like one.
    expect(lines[0]!.requestId).not.toContain("rrrr");
  });

  it("never log passwords", async () => {
    lines.length = 0;
    const users = clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, null));
    await users.createUser({ username: "logged", email: "logged@example.com", password: "hunter2 hunter2" });
    await users.login({ username: "logged", password: "wrong password!" }).catch(() => undefined);
    expect(lines.map((l) => l.method)).toEqual(["userservice.UserService/CreateUser", "userservice.UserService/Login"]);
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|wrong password/);
  });

  it("log a stream once, when it ends", async () => {
    lines.length = 0;
    await collect(clientFor(RouteGuide, PROTOCOL_MATRIX[0]!.make(server.url)).listFeatures({ lo: { latitude: 0, longitude: 0 }, hi: { latitude: 1, longitude: 1 } }));
    expect(lines).toMatchObject([{ method: "routeguide.RouteGuide/ListFeatures", code: "OK" }]);
  });
});

describe("GET /metrics", () => {
  const scrape = async () => (await fetch(`${server.url}/metrics`)).text();

  it("counts calls by method, protocol and code, with latency histograms", async () => {
    const guide = clientFor(RouteGuide, PROTOCOL_MATRIX[0]!.make(server.url));
    await guide.getFeature({ latitude: 0, longitude: 0 });
    await guide.getFeature({ latitude: 900000001, longitude: 0 }).catch(() => undefined);
    const text = await scrape();
    expect(text).toMatch(/rpc_calls_total\{method="routeguide.RouteGuide\/GetFeature",protocol="grpc",code="OK"\} \d+/);
    expect(text).toMatch(/rpc_calls_total\{method="routeguide.RouteGuide\/GetFeature",protocol="grpc",code="INVALID_ARGUMENT"\} 1/);
    expect(text).toMatch(/rpc_duration_seconds_bucket\{le="0.005",method="routeguide.RouteGuide\/GetFeature",protocol="grpc"\}/);
  });

  it("shows open streams and hub subscribers while a stream is open", async () => {
    const controller = new AbortController();
    const notes = clientFor(RouteNotesService, PROTOCOL_MATRIX[1]!.make(server.url));
    const open = collect(notes.subscribeNotes({ scope: { case: "location", value: { latitude: 3, longitude: 3 } } }, { signal: controller.signal })).then(() => undefined, ConnectError.from);
    await eventually(() => server.app.noteHub.subscriberCount() === 1);
    const during = await scrape();
    expect(during).toMatch(/rpc_open_streams\{method="routeguide.RouteNotesService\/SubscribeNotes"\} 1/);
    expect(during).toMatch(/hub_subscribers\{hub="notes"\} 1/);
    controller.abort();
    expect((await open)?.code).toBe(Code.Canceled);
    await eventually(() => server.app.noteHub.subscriberCount() === 0);
    const after = await scrape();
    expect(after).toMatch(/rpc_open_streams\{method="routeguide.RouteNotesService\/SubscribeNotes"\} 0/);
    expect(after).toMatch(/hub_subscribers\{hub="notes"\} 0/);
  });

  it("shares the port with the RPCs and leaves unknown files 404 (page routes belong to the web app)", async () => {
    expect((await fetch(`${server.url}/metrics`)).headers.get("content-type")).toContain("text/plain");
    expect((await fetch(`${server.url}/nothing-here.js`)).status).toBe(404);
  });
});


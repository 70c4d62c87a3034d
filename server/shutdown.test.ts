import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { RouteGuide } from "../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../gen/routeguide/route_notes_pb.js";
import { UserService } from "../gen/userservice/user_service_pb.js";
import { SHUTDOWN_RETRY_MS } from "./app.js";
import { retryDelayMs } from "./limits/retry-info.js";
import { spawnServer } from "./test-support/server-process.js";
import { bearer, collect } from "./test-support/test-server.js";

const dir = mkdtempSync(join(tmpdir(), "shutdown-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = "shutdown-test-token";
const world = { lo: { latitude: -900000000, longitude: -1800000000 }, hi: { latitude: 900000000, longitude: 1800000000 } };

describe("SIGTERM under load", () => {
  it("loses no acknowledged write, ends streams with UNAVAILABLE and exits 0", async () => {
    // Four writers from one address, as fast as they can: rate limits would only slow the test.
    const env = { DATABASE_URL: `sqlite:${join(dir, "load.db")}`, AUTH_TOKENS: TOKEN, SHUTDOWN_GRACE_MS: "5000", RATE_LIMIT_NOTES: "off", RATE_LIMIT_SIGNUP: "off" };
    const server = await spawnServer(env);
    const transports = [
      createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(TOKEN)] }),
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(TOKEN)] }),
    ];

    // Live streams that must be told to reconnect.
    const healthSeen: Status[] = [];
    const watch = (async () => {
      for await (const r of createClient(Health, transports[0]!).watch({ service: "" })) healthSeen.push(r.status);
    })().then(() => undefined, ConnectError.from);
    const subscription = collect(createClient(RouteNotesService, transports[1]!).subscribeNotes({ scope: { case: "area", value: world } }))
      .then(() => undefined, ConnectError.from);

    const ackedUsers: string[] = [];
    const ackedNotes: bigint[] = [];
    let stopWriting = false;
    let failures = 0;
    const writer = async (worker: number) => {
      const transport = transports[worker % 2]!;
      const users = createClient(UserService, transport);
      const notes = createClient(RouteNotesService, transport);
      for (let i = 0; !stopWriting; i++) {
        try {
          const user = await users.createUser({ username: `w${worker}n${i}`, email: `w${worker}n${i}@example.com`, password: "long enough" });
          ackedUsers.push(user.id);
          const note = await notes.postNote({ location: { latitude: worker, longitude: i }, message: `w${worker} n${i}` });
          ackedNotes.push(note.id);
        } catch {
          failures++; // refused or cut off: not acknowledged, so nothing is owed
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (ackedNotes.length < 12) await new Promise((r) => setTimeout(r, 20));

    const exitCode = server.stop("SIGTERM");
    expect(await exitCode).toBe(0);
    stopWriting = true;
    await Promise.all(writers);
    expect(server.output()).toContain("stopped");

    expect(healthSeen).toEqual([Status.SERVING, Status.NOT_SERVING]);
    for (const ended of [await watch, await subscription]) {
      expect(ended).toMatchObject({ code: Code.Unavailable, rawMessage: expect.stringContaining("shutting down") });
      // With a google.rpc.RetryInfo saying when to come back (gRPC on the lean path, Connect over HTTP/1.1).
      expect(retryDelayMs(ended!)).toBe(SHUTDOWN_RETRY_MS);
    }

    const restarted = await spawnServer(env);
    try {
      const transport = createGrpcTransport({ baseUrl: restarted.url, interceptors: [bearer(TOKEN)] });
      const users = createClient(UserService, transport);
      for (const id of ackedUsers) expect((await users.getUser({ id })).id).toBe(id);
      const controller = new AbortController();
      const stored = new Set<bigint>();
      const stream = createClient(RouteNotesService, transport).subscribeNotes({ scope: { case: "area", value: world } }, { signal: controller.signal });
      const maxAcked = ackedNotes.reduce((a, b) => (a > b ? a : b), 0n);
      for await (const note of stream) {
        stored.add(note.id);
        if (note.id >= maxAcked) break;
      }
      controller.abort();
      expect(ackedNotes.filter((id) => !stored.has(id))).toEqual([]);
      expect(ackedUsers.length).toBeGreaterThanOrEqual(12);
    } finally {
      await restarted.stop();
    }
  }, 60_000);

  it("reports NOT_SERVING for SHUTDOWN_DELAY_MS while still serving, then ends streams UNAVAILABLE, sends GOAWAY and exits 0", async () => {
    const server = await spawnServer({ DATABASE_URL: `sqlite:${join(dir, "delay.db")}`, AUTH_TOKENS: TOKEN, SHUTDOWN_DELAY_MS: "4000" });
    const transport = createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(TOKEN)] });
    const health = createClient(Health, transport);
    let streamEnded: unknown;
    const subscription = collect(createClient(RouteNotesService, transport).subscribeNotes({ scope: { case: "area", value: world } }))
      .then(() => undefined, (error: unknown) => (streamEnded = ConnectError.from(error)));
    // A raw HTTP/2 connection, to see the GOAWAY frame.
    const session = http2.connect(server.url);
    session.on("error", () => undefined);
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code) => resolve(code)));
    await new Promise<void>((resolve) => session.once("connect", () => resolve()));
    expect((await health.check({ service: "" })).status).toBe(Status.SERVING);

    const exitCode = server.stop("SIGTERM");
    const deadline = Date.now() + 10_000;
    while ((await health.check({ service: "" })).status !== Status.NOT_SERVING) {
      if (Date.now() > deadline) throw new Error("health never turned NOT_SERVING");
    }
    // Taken out of the load balancer, but still serving: new calls work, the stream is open.
    const feature = await createClient(RouteGuide, transport).getFeature({ latitude: 409146138, longitude: -746188906 });
    expect(feature.name).toMatch(/Berkshire Valley/);
    expect(streamEnded).toBeUndefined();

    await subscription;
    expect(streamEnded).toMatchObject({ code: Code.Unavailable, rawMessage: expect.stringContaining("shutting down") });
    expect(retryDelayMs(streamEnded as ConnectError)).toBe(SHUTDOWN_RETRY_MS);
    expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(await exitCode).toBe(0);
    session.destroy();
  }, 30_000);
});

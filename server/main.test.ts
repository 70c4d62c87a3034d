import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { PointSchema, RouteGuide, RouteNoteSchema } from "../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../gen/routeguide/route_notes_pb.js";
import { UserService } from "../gen/userservice/user_service_pb.js";
import { spawnServer } from "./test-support/server-process.js";
import { bearer, collect } from "./test-support/test-server.js";

const dir = mkdtempSync(join(tmpdir(), "grpc-app-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const here = create(PointSchema, { latitude: 404, longitude: 808 });

describe("the server process (npm start)", () => {
  it("keeps users and notes across a SIGTERM restart, exiting 0", async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, "restart.db")}`, AUTH_TOKENS: "ops-token" };
    const first = await spawnServer(env);
    const transport = createGrpcTransport({ baseUrl: first.url, interceptors: [bearer("ops-token")] });
    const user = await createClient(UserService, transport).createUser({ username: "durable", email: "durable@example.com", password: "long enough" });
    await createClient(RouteNotesService, transport).postNote({ location: here, message: "posted from a browser" });
    await collect(createClient(RouteGuide, transport).routeChat((async function* () {
      yield create(RouteNoteSchema, { location: here, message: "posted from RouteChat" });
    })()));
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.output()).toContain("stopped");

    const second = await spawnServer(env);
    try {
      const again = createConnectTransport({ baseUrl: second.url, httpVersion: "1.1", interceptors: [bearer("ops-token")] });
      expect(await createClient(UserService, again).getUser({ id: user.id })).toEqual(user);
      const history = await collect(createClient(RouteGuide, createGrpcTransport({ baseUrl: second.url })).routeChat((async function* () {
        yield create(RouteNoteSchema, { location: here, message: "after restart" });
      })()));
      expect(history.map((n) => n.message)).toEqual(["posted from a browser", "posted from RouteChat"]);
    } finally {
      expect(await second.stop("SIGINT")).toBe(0);
    }
  });

  it("allows browsers only from CORS_ORIGINS, exposing the gRPC status headers", async () => {
    const server = await spawnServer({ DATABASE_URL: "sqlite::memory:", CORS_ORIGINS: "http://app.example, http://localhost:5173" });
    try {
      const preflight = (origin: string) =>
        fetch(`${server.url}/userservice.UserService/GetUser`, {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
        });
      const allowed = await preflight("http://localhost:5173");
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
      expect(allowed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      const refused = await preflight("http://evil.example");
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();

      const call = await fetch(`${server.url}/userservice.UserService/GetUser`, {
        method: "POST",
        headers: { origin: "http://app.example", "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        body: new Uint8Array([0, 0, 0, 0, 0]),
      });
      expect(call.headers.get("access-control-allow-origin")).toBe("http://app.example");
      expect(call.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("grpc-status");
      expect(call.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("grpc-message");
      // Error details (RetryInfo, ...) travel in grpc-status-details-bin: browsers must be let read it.
      expect(call.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("grpc-status-details-bin");
    } finally {
      await server.stop();
    }
  });

  it("refuses an unsupported DATABASE_URL with a clear message", async () => {
    await expect(spawnServer({ DATABASE_URL: "mysql://localhost/db" })).rejects.toThrow(/DATABASE_URL "mysql:\/\/localhost\/db" is not supported/);
  });

  it("stops with exit code 1 and the reason when PostgreSQL or Redis cannot be reached at start", async () => {
    await expect(spawnServer({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/app", DATABASE_CONNECT_TIMEOUT_MS: "1000" })).rejects.toThrow(
      /exited with 1:[\s\S]*cannot start: \[unavailable\] database unavailable.*ECONNREFUSED 127\.0\.0\.1:1/,
    );
    await expect(spawnServer({ DATABASE_URL: "sqlite::memory:", REDIS_URL: "redis://127.0.0.1:1" })).rejects.toThrow(
      /exited with 1:[\s\S]*cannot start: .*Redis unreachable.*redis:\/\/127\.0\.0\.1:1 did not answer/,
    );
  });

  it("answers unknown methods with UNIMPLEMENTED (native gRPC) and 404 (Connect)", async () => {
    const server = await spawnServer({ DATABASE_URL: "sqlite::memory:" });
    const client = new grpc.Client(new URL(server.url).host, grpc.credentials.createInsecure());
    try {
      const error = await new Promise<grpc.ServiceError>((resolve) =>
        client.makeUnaryRequest("/userservice.UserService/NoSuchMethod", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e!)),
      );
      expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
      const connect = await fetch(`${server.url}/userservice.NoSuchService/GetUser`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(connect.status).toBe(404);
      expect(server.output()).not.toMatch(/failed|Error/);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_TOKEN, type TestServer } from "../test-support/test-server.js";

const run = promisify(execFile);
const protoDir = new URL("../../proto", import.meta.url).pathname;
const script = new URL("./python_client.py", import.meta.url).pathname;

let server: TestServer;
let generated: string;
beforeAll(async () => {
  server = await startTestServer();
  // Generate the Python client from the canonical files only, as a new user would.
  generated = mkdtempSync(join(tmpdir(), "py-grpc-"));
  await run("protoc", [
    `-I${protoDir}`,
    `--python_out=${generated}`,
    `--grpc_python_out=${generated}`,
    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
    "routeguide/route_guide.proto",
    "userservice/user_service.proto",
  ]);
  for (const pkg of ["routeguide", "userservice"]) {
    mkdirSync(join(generated, pkg), { recursive: true });
    writeFileSync(join(generated, pkg, "__init__.py"), "");
  }
});
afterAll(async () => {
  await server.close();
  rmSync(generated, { recursive: true, force: true });
});

describe("Python grpcio client generated from the canonical protos", () => {
  it("gets the documented behaviour for every method", async () => {
    const { stdout } = await run("/usr/bin/python3", [script, generated, `127.0.0.1:${server.server.port}`, TEST_TOKEN], { timeout: 20_000 });
    const result = JSON.parse(stdout);
    expect(result.feature).toBe("Berkshire Valley Management Area Trail, Jefferson, NJ, USA");
    expect(result.no_feature).toBe("");
    expect(result.features_in_rectangle).toBe(100);
    expect(result.summary).toEqual([2, 2, 18327]);
    expect(result.route_chat).toEqual(["First message"]);
    expect(result.bad_point).toEqual({ code: "INVALID_ARGUMENT", details: "latitude: must be between -90 and 90 degrees (±900000000 in E7)" });
    expect(result.created).toEqual({ username: "pythonista", email: "py@example.com", roles: ["user"], has_id: true });
    expect(result.fetched_same).toBe(true);
    expect(result.listed).toContain("pythonista");
    expect(result.batch).toEqual({ created: 1, errors: ['request 1: username: "pythonista" is already taken'] });
    expect(result.unauthenticated.code).toBe("UNAUTHENTICATED");
    expect(result.login_user).toBe(true);
    expect(result.chat).toEqual([{ user_is_me: true, text: "hello from python", stamped: true }]);
    expect(result.bad_login).toEqual({ code: "UNAUTHENTICATED", details: "invalid username or password" });
    expect(result.duplicate).toEqual({ code: "ALREADY_EXISTS", details: 'username: "PYTHONISTA" is already taken' });
    expect(result.invalid).toEqual({ code: "INVALID_ARGUMENT", details: "email: must be a valid email address" });
    expect(result.not_found).toEqual({ code: "NOT_FOUND", details: 'user "nobody" not found' });
    expect(result.deadline?.code).toBe("DEADLINE_EXCEEDED");
  });
});

import { execFile } from "node:child_process";
import type { IncomingHttpHeaders } from "node:http";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserService } from "../gen/userservice/user_service_pb.js";
import { createTestApp, TEST_TOKEN } from "../server/test-support/test-server.js";
import { listenOnePort, type OnePortServer } from "../server/http/one-port-server.js";
import type { App } from "../server/app.js";

const run = promisify(execFile);
const main = new URL("./main.ts", import.meta.url).pathname;
const seenHeaders: IncomingHttpHeaders[] = [];

let app: App;
let server: OnePortServer;
beforeAll(async () => {
  app = createTestApp();
  server = await listenOnePort({
    port: 0,
    handler: (request, response) => {
      seenHeaders.push(request.headers);
      app.handler(request, response);
    },
  });
});
afterAll(async () => {
  await server.close(500);
  await app.close();
});

function client(...args: string[]) {
  return run(process.execPath, ["--import", "tsx", main, "--url", server.url, ...args], {
    timeout: 20_000,
    env: { ...process.env, API_TOKEN: TEST_TOKEN },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error) => ({ code: error.code as number, stdout: error.stdout as string, stderr: error.stderr as string }),
  );
}

describe("npm run client", () => {
  it.each(["grpc", "grpc-web", "connect"])("runs the route guide scenario over %s", async (protocol) => {
    const { code, stdout } = await client("routeguide", "--protocol", protocol);
    expect(code).toBe(0);
    expect(stdout).toContain('Found feature called "Berkshire Valley Management Area Trail, Jefferson, NJ, USA"');
    expect(stdout).toMatch(/Finished trip with 10 points/);
    expect(stdout).toContain('Got message "First message" at point(0, 1)');
  });

  it("prints one JSON object per line with --json", async () => {
    const created = await client("users", "create", "--username", "jsonuser", "--email", "j@example.com", "--password", "long enough", "--json");
    const user = JSON.parse(created.stdout);
    expect(user).toMatchObject({ username: "jsonuser", email: "j@example.com" });
    const listed = await client("users", "list", "--json", "--protocol", "connect", "--http-version", "1.1");
    expect(listed.stdout.trim().split("\n").map((line) => JSON.parse(line).id)).toContain(user.id);
  });

  it("logs in and uses the token with --token", async () => {
    await client("users", "create", "--username", "cliuser", "--email", "cli@example.com", "--password", "long enough");
    const token = (await client("users", "login", "--username", "cliuser", "--password", "long enough")).stdout.trim();
    expect(token).toMatch(/^v1\./);
    const me = await client("users", "list", "--token", token, "--json");
    expect(me.code).toBe(0);
    const refused = await client("users", "list", "--token", "wrong");
    expect(refused.stderr.trim()).toBe("UNAUTHENTICATED: invalid or expired token: log in again");
  });

  it("sends --header metadata with the call", async () => {
    seenHeaders.length = 0;
    await client("users", "list", "--header", "x-request-id=abc123", "--header", "ip=10.0.0.1");
    expect(seenHeaders.some((h) => h["x-request-id"] === "abc123" && h.ip === "10.0.0.1")).toBe(true);
  });

  it("prints DEADLINE_EXCEEDED clearly when --timeout passes, and exits 1", async () => {
    // Chat with stdin left open never ends by itself, so the deadline ends it.
    const { code, stderr } = await client("users", "chat", "--user-id", "slow", "--timeout", "500ms");
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^DEADLINE_EXCEEDED: /);
  });

  it("reports server errors by their gRPC code name, in JSON with --json", async () => {
    const plain = await client("users", "get", "nobody");
    expect(plain).toMatchObject({ code: 1 });
    expect(plain.stderr.trim()).toBe('NOT_FOUND: user "nobody" not found');
    const json = await client("users", "get", "nobody", "--json");
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: "NOT_FOUND", message: 'user "nobody" not found' } });
  });

  it("explains bad flags instead of calling", async () => {
    expect((await client("users", "list", "--timeout", "soon")).stderr).toContain('--timeout "soon" is not a duration');
    expect((await client("users", "list", "--protocol", "smoke")).stderr).toContain("--protocol must be one of grpc, grpc-web, connect");
    expect((await client("users", "chat", "--user-id", "a", "--protocol", "connect", "--http-version", "1.1")).stderr).toContain("needs HTTP/2");
  });
});

describe("npm run client against a server that asks it to wait", () => {
  it.each(["grpc", "connect"])("waits as a RetryInfo asks and retries a refused call, saying so (%s)", async (protocol) => {
    // One sign-up per 6 s per address: a second one within that is refused with a RetryInfo.
    const limited = createTestApp({ rateLimits: { signUp: { limit: 1, periodMs: 6_000 } } });
    const limitedServer = await listenOnePort({ port: 0, handler: limited.handler });
    try {
      // This address's one sign-up, taken just before the client starts.
      const users = createClient(UserService, createConnectTransport({ baseUrl: limitedServer.url, httpVersion: "1.1" }));
      await users.createUser({ username: "first", email: "first@example.com", password: "long enough" });
      const second = await run(process.execPath, ["--import", "tsx", main, "--url", limitedServer.url, "--protocol", protocol, "users", "create", "--username", "second", "--email", "second@example.com", "--password", "long enough"], {
        timeout: 25_000,
        env: { ...process.env, API_TOKEN: TEST_TOKEN },
      });
      expect(second.stderr).toMatch(/^RESOURCE_EXHAUSTED: too many sign-ups from this client; retry in [\d.]+ \w+ \(waiting [\d.]+ s as the server asks, then retrying\)$/m);
      expect(second.stdout).toContain("second");
    } finally {
      await limitedServer.close(500);
      await limited.close();
    }
  });
});

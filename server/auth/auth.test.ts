import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../../gen/routeguide/route_notes_pb.js";
import { ChatRoomService } from "../../gen/userservice/chat_room_pb.js";
import { UserService } from "../../gen/userservice/user_service_pb.js";
import { clientFor, collect, PROTOCOL_MATRIX, startTestServer, type TestServer } from "../test-support/test-server.js";
import { createConnectTransport } from "@connectrpc/connect-node";
import { retryDelayMs } from "../limits/retry-info.js";
import { createTokenSigner } from "./token-signer.js";

const SECRET = "a test secret that is at least 32 characters long";
let server: TestServer;
let adaId: string;
beforeAll(async () => {
  // A delay far longer than a password check takes even on a busy machine, so "too soon" is certain.
  server = await startTestServer({ auth: { secret: SECRET, throttle: { freeAttempts: 2, baseDelayMs: 3_000 } } });
  const users = clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, null));
  adaId = (await users.createUser({ username: "ada", email: "ada@example.com", password: "analytical engine" })).id;
});
afterAll(() => server.close());

const expired = createTokenSigner({ secret: SECRET, ttlMs: 1, now: () => 0 }).sign("whoever").token;

describe.each(PROTOCOL_MATRIX)("authentication over $name", (protocol) => {
  const users = (token?: string | null) => clientFor(UserService, protocol.make(server.url, token));

  it("Login returns a token that authenticates, and the user it belongs to", async () => {
    const before = Date.now();
    const session = await users(null).login({ username: "ADA", password: "analytical engine" });
    expect(session.user?.id).toBe(adaId);
    expect(Number(session.expiresAt)).toBeGreaterThan(before + 3_500_000);
    expect((await users(session.token).getUser({ id: adaId })).email).toBe("ada@example.com");
  });

  it("refuses every protected method without a token, or with a bad, tampered or expired one", async () => {
    const good = (await users(null).login({ username: "ada", password: "analytical engine" })).token;
    const tampered = good.slice(0, -2) + (good.endsWith("AA") ? "BB" : "AA");
    for (const token of [null, "not-a-token", tampered, expired]) {
      const client = users(token);
      const room = clientFor(ChatRoomService, protocol.make(server.url, token));
      const calls = [
        () => client.getUser({ id: adaId }),
        () => collect(client.listUsers({})),
        () => client.batchCreateUsers((async function* () {})()),
        () => room.post({ text: "hi" }),
        () => collect(room.subscribe({})),
      ];
      for (const call of calls) {
        const error = await call().then(() => undefined, ConnectError.from);
        expect(error?.code, `token ${token}`).toBe(Code.Unauthenticated);
        expect(error?.rawMessage).toMatch(token === null ? /^missing bearer token/ : /^invalid or expired token/);
      }
    }
  });

  it("leaves public methods open", async () => {
    const transport = protocol.make(server.url, null);
    expect((await clientFor(RouteGuide, transport).getFeature({ latitude: 0, longitude: 0 })).name).toBe("");
    expect((await clientFor(RouteNotesService, transport).postNote({ location: { latitude: 1, longitude: 1 }, message: "hi" })).id).toBeGreaterThan(0n);
  });
});

describe("login failures", () => {
  const users = () => clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, null));

  it("say the same for an unknown username and a wrong password", async () => {
    const unknown = await users().login({ username: "nobody", password: "whatever pw" }).catch(ConnectError.from);
    const wrong = await users().login({ username: "ada", password: "difference engine" }).catch(ConnectError.from);
    expect(unknown).toMatchObject({ code: Code.Unauthenticated, rawMessage: "invalid username or password" });
    expect(wrong).toMatchObject({ code: Code.Unauthenticated, rawMessage: "invalid username or password" });
  });

  it("after the free attempts, must be spaced out: sooner ones are refused with a retry hint, without a password check", async () => {
    for (let i = 0; i < 3; i++) await users().login({ username: "victim", password: "guess" }).catch(() => undefined);
    // The third attempt (the first beyond freeAttempts: 2) set a 3 s wait; this one comes sooner.
    const refused = await users().login({ username: "victim", password: "guess" }).then(() => undefined, ConnectError.from);
    expect(refused?.code).toBe(Code.ResourceExhausted);
    expect(refused?.rawMessage).toMatch(/^too many login attempts for this username; retry in [\d.]+ m?s$/);
    const wait = retryDelayMs(refused as ConnectError)!;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(3_000);
    await new Promise((resolve) => setTimeout(resolve, wait));
    const after = await users().login({ username: "victim", password: "guess" }).then(() => undefined, ConnectError.from);
    expect(after?.code).toBe(Code.Unauthenticated);
  });

  it("guesses from one address do not hold up the user logging in from another", async () => {
    for (let i = 0; i < 6; i++) await users().login({ username: "ada", password: "wrong guess" }).catch(() => undefined);
    expect((await users().login({ username: "ada", password: "analytical engine" }).catch(ConnectError.from))).toMatchObject({ code: Code.ResourceExhausted });
    // 127.0.0.2 is loopback too, but another client address.
    const elsewhere = clientFor(UserService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", nodeOptions: { localAddress: "127.0.0.2" } }));
    const started = performance.now();
    const session = await elsewhere.login({ username: "ada", password: "analytical engine" });
    expect(session.user?.username).toBe("ada");
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("refuses usernames and passwords longer than any account can have, before the throttle or a hash", async () => {
    const longName = await users().login({ username: "x".repeat(10_000), password: "whatever pw" }).catch(ConnectError.from);
    expect(longName).toMatchObject({ code: Code.InvalidArgument, rawMessage: "username: must be at most 32 characters" });
    const longPassword = await users().login({ username: "ada", password: "x".repeat(10_000) }).catch(ConnectError.from);
    expect(longPassword).toMatchObject({ code: Code.InvalidArgument, rawMessage: "password: must be at most 128 characters" });
  });
});

describe("logout", () => {
  it("revokes every token the user had, and a new login works", async () => {
    const anonymous = clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, null));
    await anonymous.createUser({ username: "leaver", email: "leaver@example.com", password: "long enough pw" });
    const first = (await anonymous.login({ username: "leaver", password: "long enough pw" })).token;
    const second = (await anonymous.login({ username: "leaver", password: "long enough pw" })).token;
    await clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, first)).logout({});
    for (const token of [first, second]) {
      const error = await clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, token)).getUser({ id: adaId }).then(() => undefined, ConnectError.from);
      expect(error?.code).toBe(Code.Unauthenticated);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    const fresh = (await anonymous.login({ username: "leaver", password: "long enough pw" })).token;
    expect((await clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, fresh)).getUser({ id: adaId })).username).toBe("ada");
  });
});

describe("emails", () => {
  it("are shown to their owner, admins and services, not to other users", async () => {
    const anonymous = clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, null));
    const bob = await anonymous.createUser({ username: "bob", email: "bob@example.com", password: "long enough pw" });
    const bobToken = (await anonymous.login({ username: "bob", password: "long enough pw" })).token;
    const asBob = clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, bobToken));
    expect((await asBob.getUser({ id: adaId })).email).toBe("");
    expect((await asBob.getUser({ id: bob.id })).email).toBe("bob@example.com");
    const listed = await collect(asBob.listUsers({ pageSize: 1000 }));
    expect(listed.filter((user) => user.email !== "").map((user) => user.username)).toEqual(["bob"]);
    const asService = clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url));
    expect((await asService.getUser({ id: adaId })).email).toBe("ada@example.com");
  });
});

describe("identity comes from the token", () => {
  it("refuses a batch without a token before creating anything", async () => {
    const anonymous = clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, null));
    const error = await anonymous.batchCreateUsers((async function* () {
      yield { username: "sneaky", email: "sneaky@example.com", password: "long enough" };
    })()).then(() => undefined, ConnectError.from);
    expect(error?.code).toBe(Code.Unauthenticated);
    expect(await server.app.storage.users.findByUsername("sneaky")).toBeUndefined();
  });

  it("sets the chat sender from the token, whatever the message claims", async () => {
    // From its own address: the login-failure tests above have throttled "ada" at 127.0.0.1.
    const login = clientFor(UserService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", nodeOptions: { localAddress: "127.0.0.4" } }));
    const token = (await login.login({ username: "ada", password: "analytical engine" })).token;
    const room = clientFor(ChatRoomService, PROTOCOL_MATRIX[0]!.make(server.url, token));
    const posted = await room.post({ userId: "someone-else", text: "it's me" });
    expect(posted.userId).toBe(adaId);
  });
});

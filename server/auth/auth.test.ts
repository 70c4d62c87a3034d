import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../../gen/routeguide/route_notes_pb.js";
import { ChatRoomService } from "../../gen/userservice/chat_room_pb.js";
import { UserService } from "../../gen/userservice/user_service_pb.js";
import { clientFor, collect, PROTOCOL_MATRIX, startTestServer, type TestServer } from "../test-support/test-server.js";
import { createTokenSigner } from "./token-signer.js";

const SECRET = "a test secret that is at least 32 characters long";
let server: TestServer;
let adaId: string;
beforeAll(async () => {
  server = await startTestServer({ auth: { secret: SECRET, throttle: { freeAttempts: 2, baseDelayMs: 300 } } });
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

  it("are answered more slowly when repeated", async () => {
    for (let i = 0; i < 2; i++) await users().login({ username: "victim", password: "guess" }).catch(() => undefined);
    const started = performance.now();
    await users().login({ username: "victim", password: "guess" }).catch(() => undefined);
    // The third failure in a row waits at least baseDelayMs (a lower bound; the machine can only add to it).
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
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
    const token = (await clientFor(UserService, PROTOCOL_MATRIX[0]!.make(server.url, null)).login({ username: "ada", password: "analytical engine" })).token;
    const room = clientFor(ChatRoomService, PROTOCOL_MATRIX[0]!.make(server.url, token));
    const posted = await room.post({ userId: "someone-else", text: "it's me" });
    expect(posted.userId).toBe(adaId);
  });
});

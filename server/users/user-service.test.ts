import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatRoomService } from "../../gen/userservice/chat_room_pb.js";
import { create } from "@bufbuild/protobuf";
import { type ChatMessage, ChatMessageSchema, UserService } from "../../gen/userservice/user_service_pb.js";
import type { App } from "../app.js";
import { createPushStream } from "../test-support/push-stream.js";
import { clientFor, collect, createTestApp, eventually, inMemoryTransport } from "../test-support/test-server.js";
import { verifyPassword } from "./password-hash.js";

let app: App;
let users: ReturnType<typeof clientFor<typeof UserService>>;
let room: ReturnType<typeof clientFor<typeof ChatRoomService>>;
beforeEach(() => {
  app = createTestApp();
  const transport = inMemoryTransport(app);
  users = clientFor(UserService, transport);
  room = clientFor(ChatRoomService, transport);
});
afterEach(() => app.close());

const valid = (n: number | string) => ({ username: `user${n}`, email: `user${n}@example.com`, password: "correct horse" });

describe("CreateUser and GetUser", () => {
  it("creates a user that GetUser returns, with no password anywhere in it", async () => {
    const before = Date.now();
    const created = await users.createUser({ username: "Ada", email: "Ada@Example.COM", password: "analytical engine" });
    expect(created).toMatchObject({ username: "Ada", email: "ada@example.com", roles: ["user"] });
    expect(Number(created.createdAt)).toBeGreaterThanOrEqual(before);
    expect(await users.getUser({ id: created.id })).toEqual(created);
    expect(JSON.stringify(created, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain("analytical");
  });

  it("stores a salted scrypt hash, never the password", async () => {
    const a = await users.createUser(valid(1));
    const b = await users.createUser(valid(2));
    const [recordA, recordB] = [await app.storage.users.get(a.id), await app.storage.users.get(b.id)];
    expect(recordA?.passwordHash).toMatch(/^scrypt\$/);
    expect(recordA?.passwordHash).not.toContain("correct horse");
    expect(recordA?.passwordHash).not.toBe(recordB?.passwordHash);
    expect(await verifyPassword("correct horse", recordA!.passwordHash)).toBe(true);
    expect(await verifyPassword("wrong horse", recordA!.passwordHash)).toBe(false);
  });

  it.each([
    [{ ...valid(1), username: "" }, "username: value is required"],
    [{ ...valid(1), username: "ab" }, "username: must be at least 3 characters"],
    [{ ...valid(1), username: "a".repeat(33) }, "username: must be at most 32 characters"],
    [{ ...valid(1), username: "1abc" }, "username: may only contain letters, digits, '_', '.' and '-', and must start with a letter"],
    [{ ...valid(1), username: "has space" }, "username: may only contain"],
    [{ ...valid(1), email: "" }, "email: value is required"],
    [{ ...valid(1), email: "not-an-email" }, "email: must be a valid email address"],
    [{ ...valid(1), email: " user1@example.com" }, "email: must be a valid email address"],
    [{ ...valid(1), email: `${"a".repeat(250)}@example.com` }, "email: must be at most 254 characters"],
    [{ ...valid(1), password: "" }, "password: value is required"],
    [{ ...valid(1), password: "short" }, "password: must be at least 8 characters"],
    [{ ...valid(1), password: "x".repeat(129) }, "password: must be at most 128 characters"],
  ])("rejects %o with INVALID_ARGUMENT naming the field", async (request, message) => {
    const error = await users.createUser(request).catch((e) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toContain(message);
  });

  it("refuses a taken username or email, ignoring case, with ALREADY_EXISTS", async () => {
    await users.createUser(valid(1));
    await expect(users.createUser({ ...valid(2), username: "USER1" })).rejects.toMatchObject({
      code: Code.AlreadyExists,
      rawMessage: 'username: "USER1" is already taken',
    });
    await expect(users.createUser({ ...valid(3), email: "User1@Example.com" })).rejects.toMatchObject({
      code: Code.AlreadyExists,
      rawMessage: 'email: "user1@example.com" is already taken',
    });
  });

  it("answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for an empty one", async () => {
    await expect(users.getUser({ id: "nope" })).rejects.toMatchObject({ code: Code.NotFound, rawMessage: 'user "nope" not found' });
    await expect(users.getUser({ id: "" })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: "id: value is required" });
  });
});

describe("ListUsers", () => {
  it("pages through every user in creation order using the last id as the token", async () => {
    const created = [];
    for (let i = 0; i < 25; i++) created.push(await users.createUser(valid(i)));
    const firstPage = await collect(users.listUsers({}));
    expect(firstPage.map((u) => u.username)).toEqual(created.slice(0, 10).map((u) => u.username));
    const seen = [...firstPage];
    let token = firstPage.at(-1)!.id;
    for (;;) {
      const page = await collect(users.listUsers({ pageSize: 7, pageToken: token }));
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(7);
      seen.push(...page);
      token = page.at(-1)!.id;
    }
    expect(seen.map((u) => u.id)).toEqual(created.map((u) => u.id));
  });

  it("rejects a negative page size and an unknown token", async () => {
    await expect(collect(users.listUsers({ pageSize: -1 }))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: "page_size: must be greater than or equal to 0",
    });
    await expect(collect(users.listUsers({ pageToken: "bogus" }))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/^page_token: "bogus" is not the id of a user/),
    });
  });
});

describe("BatchCreateUsers", () => {
  it("creates the valid requests and reports each invalid one with its position", async () => {
    const result = await users.batchCreateUsers(
      (async function* () {
        yield valid("a");
        yield { ...valid("b"), email: "bad" };
        yield valid("c");
        yield { ...valid("d"), username: "userA" }; // taken by request 0, ignoring case
        yield { ...valid("e"), password: "short" };
      })(),
    );
    expect(result.created).toBe(2);
    expect(result.errors).toEqual([
      "request 1: email: must be a valid email address",
      'request 3: username: "userA" is already taken',
      "request 4: password: must be at least 8 characters",
    ]);
    expect((await collect(users.listUsers({}))).map((u) => u.username)).toEqual(["usera", "userc"]);
  });
});

describe("Chat and its browser companions", () => {
  it("delivers every message to every participant, sender included, with a server timestamp", async () => {
    const alice = createPushStream<ChatMessage>();
    const aliceGot: ChatMessage[] = [];
    const aliceDone = (async () => { for await (const m of users.chat(alice)) aliceGot.push(m); })();
    const browser = new AbortController();
    const browserGot: ChatMessage[] = [];
    const browserDone = (async () => {
      for await (const m of room.subscribe({}, { signal: browser.signal })) browserGot.push(m);
    })().catch(() => undefined);
    await eventually(() => app.chatHub.subscriberCount() === 2);

    const before = Date.now();
    alice.push({ userId: "claims to be alice", text: "hi all", timestamp: 5n } as ChatMessage);
    await eventually(() => aliceGot.length === 1 && browserGot.length === 1);
    // The sender is the token's identity (the test service token), not the message's claim.
    expect(aliceGot[0]).toMatchObject({ userId: "service:1", text: "hi all" });
    expect(aliceGot[0]!.timestamp).not.toBe(5n);
    expect(Number(aliceGot[0]!.timestamp)).toBeGreaterThanOrEqual(before);

    const posted = await room.post({ userId: "bob", text: "hello from the browser" });
    expect(posted.timestamp).toBeGreaterThan(0n);
    await eventually(() => aliceGot.length === 2 && browserGot.length === 2);
    expect(aliceGot[1]).toEqual(posted);

    alice.end();
    await aliceDone;
    browser.abort();
    await browserDone;
    await eventually(() => app.chatHub.subscriberCount() === 0, 5_000, "chat subscribers released");
  });

  it("sends heartbeats (empty messages) on Subscribe when asked: one at once, then one per interval", async () => {
    const beating = createTestApp({ heartbeatMs: 30 });
    const chatRoom = clientFor(ChatRoomService, inMemoryTransport(beating));
    const controller = new AbortController();
    const got: ChatMessage[] = [];
    const done = (async () => {
      for await (const m of chatRoom.subscribe({ heartbeats: true }, { signal: controller.signal })) got.push(m);
    })().catch(() => undefined);
    await eventually(() => got.length >= 3);
    await chatRoom.post({ text: "between beats" });
    await eventually(() => got.some((m) => m.text === "between beats"));
    controller.abort();
    await done;
    await beating.close();
    expect(got[0]).toEqual(create(ChatMessageSchema, {}));
    expect(got.filter((m) => m.text === "").every((m) => m.userId === "" && m.timestamp === 0n)).toBe(true);
  });

  it("rejects empty and oversized messages", async () => {
    await expect(room.post({ userId: "bob", text: " " })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: "text: must not be empty" });
    await expect(room.post({ userId: "bob", text: "" })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: "text: must not be empty" });
    await expect(room.post({ userId: "bob", text: "x".repeat(1001) })).rejects.toMatchObject({
      rawMessage: "text: must be at most 1000 characters",
    });
  });
});

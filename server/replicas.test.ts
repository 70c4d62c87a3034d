import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { create } from "@bufbuild/protobuf";
import { RouteGuide, type RouteNote, RouteNoteSchema } from "../gen/routeguide/route_guide_pb.js";
import { RouteNotesService, type StoredNote } from "../gen/routeguide/route_notes_pb.js";
import { ChatRoomService } from "../gen/userservice/chat_room_pb.js";
import { type ChatMessage, UserService } from "../gen/userservice/user_service_pb.js";
import { CLUSTER_TOKEN, type ReplicaCluster, startReplicaCluster } from "./test-support/replica-cluster.js";
import { createPushStream } from "./test-support/push-stream.js";
import { bearer } from "./test-support/test-server.js";

// Native clients built from the .proto files at run time, as a grpc-js user would.
const loaded = grpc.loadPackageDefinition(
  protoLoader.loadSync(["routeguide/route_guide.proto", "userservice/user_service.proto"], {
    includeDirs: [new URL("../proto", import.meta.url).pathname],
    keepCase: true,
    longs: String,
    defaults: true,
  }),
) as any;

let cluster: ReplicaCluster;
beforeAll(async () => {
  cluster = await startReplicaCluster(2);
}, 60_000);
afterAll(() => cluster?.close(), 30_000);

const url = (i: number) => cluster.replicas[i]!.url;
const connect = (i: number, token: string | undefined = CLUSTER_TOKEN) =>
  createConnectTransport({ baseUrl: url(i), httpVersion: "1.1", interceptors: [bearer(token)] });
const grpcOver = (i: number, token: string | undefined = CLUSTER_TOKEN) => createGrpcTransport({ baseUrl: url(i), interceptors: [bearer(token)] });
const nativeAddress = (i: number) => new URL(url(i)).host;
const metadata = (token = CLUSTER_TOKEN) => {
  const m = new grpc.Metadata();
  m.set("authorization", `Bearer ${token}`);
  return m;
};
const area = (latitude: number) => ({ lo: { latitude, longitude: 0 }, hi: { latitude: latitude + 1000, longitude: 1000 } });

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function healthOf(i: number): Promise<Status | "down"> {
  try {
    return (await createClient(Health, grpcOver(i)).check({ service: "" }, { timeoutMs: 2_000 })).status;
  } catch {
    return "down";
  }
}

/** Waits until both replicas' grpc.health.v1 reports `status`; fails with "replica i <failure>" after `ms`. */
async function bothReport(status: Status, failure: string, ms: number): Promise<void> {
  for (const i of [0, 1]) {
    const deadline = Date.now() + ms;
    while ((await healthOf(i)) !== status) {
      if (Date.now() > deadline) throw new Error(`replica ${i} ${failure}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Reads a SubscribeNotes stream into `into` until it ends; resolves with how it ended. */
function subscribe(i: number, latitude: number, afterId: bigint, into: StoredNote[], signal?: AbortSignal): Promise<ConnectError | undefined> {
  const stream = createClient(RouteNotesService, connect(i)).subscribeNotes({ scope: { case: "area", value: area(latitude) }, afterId }, { signal });
  return (async () => {
    for await (const note of stream) into.push(note);
  })().then(() => undefined, (error: unknown) => ConnectError.from(error));
}

describe("two replicas on one PostgreSQL and one Redis", () => {
  it("a user created on A is found on B and logs in there; a token from A works on B; logout on B ends it on A", async () => {
    const created = await createClient(UserService, connect(0)).createUser({ username: "replicated", email: "replicated@example.com", password: "long enough" });
    const native = new loaded.userservice.UserService(nativeAddress(1), grpc.credentials.createInsecure());
    try {
      const found = await new Promise<any>((resolve, reject) => native.GetUser({ id: created.id }, metadata(), (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
      expect(found.username).toBe("replicated");
    } finally {
      native.close();
    }
    const login = await createClient(UserService, grpcOver(1, undefined)).login({ username: "REPLICATED", password: "long enough" });
    // A's token, verified by B (one AUTH_SECRET), shows the caller's own email.
    const tokenFromA = (await createClient(UserService, connect(0, undefined)).login({ username: "replicated", password: "long enough" })).token;
    expect((await createClient(UserService, connect(1, tokenFromA)).getUser({ id: created.id })).email).toBe("replicated@example.com");
    await createClient(UserService, connect(1, login.token)).logout({});
    await expect(createClient(UserService, connect(0, tokenFromA)).getUser({ id: created.id })).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it("shares the login throttle: parallel guesses spread over both replicas are counted together", async () => {
    await createClient(UserService, connect(0)).createUser({ username: "guarded", email: "guarded@example.com", password: "long enough" });
    // Ten wrong guesses at once, alternating replicas. Attempts are counted when they start: three
    // go through free, the next sets a 250 ms wait, and guesses that arrive within it are refused.
    // With a throttle per replica each would see five: four through, the fifth refused; two in all.
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        createClient(UserService, connect(i % 2, undefined))
          .login({ username: "guarded", password: "wrong password" })
          .then(() => "ok" as const, (e) => ConnectError.from(e).code),
      ),
    );
    expect(outcomes).not.toContain("ok");
    expect(outcomes.filter((outcome) => outcome === Code.Unauthenticated).length).toBeGreaterThanOrEqual(3);
    expect(outcomes.filter((outcome) => outcome === Code.ResourceExhausted).length).toBeGreaterThanOrEqual(3);
  });

  it("RouteChat, SubscribeNotes and Chat cross replicas live, both ways, native and Connect clients", async () => {
    const lat = 10_000;
    const here = { latitude: lat, longitude: 5 };
    const controller = new AbortController();
    // RouteChat: a grpc-js stream on A, a connect-node gRPC stream on B, at one location.
    const guide = new loaded.routeguide.RouteGuide(nativeAddress(0), grpc.credentials.createInsecure());
    const routeChatA: string[] = [];
    const callA = guide.RouteChat(metadata());
    callA.on("data", (note: any) => routeChatA.push(note.message));
    callA.on("error", () => undefined);
    const requestsB = createPushStream<RouteNote>();
    const routeChatB: string[] = [];
    const streamB = (async () => {
      for await (const note of createClient(RouteGuide, grpcOver(1)).routeChat(requestsB, { signal: controller.signal })) routeChatB.push(note.message);
    })().catch(() => undefined);
    // SubscribeNotes on each replica.
    const subscribedA: StoredNote[] = [];
    const subscribedB: StoredNote[] = [];
    const subscriptions = [subscribe(0, lat, 0n, subscribedA, controller.signal), subscribe(1, lat, 0n, subscribedB, controller.signal)];
    // Chat: native Chat on A, the browser companions on B.
    const users = new loaded.userservice.UserService(nativeAddress(0), grpc.credentials.createInsecure());
    const chatA: string[] = [];
    const chatCall = users.Chat(metadata());
    chatCall.on("data", (message: any) => chatA.push(message.text));
    chatCall.on("error", () => undefined);
    const chatB: ChatMessage[] = [];
    const chatStream = (async () => {
      for await (const message of createClient(ChatRoomService, connect(1)).subscribe({}, { signal: controller.signal })) chatB.push(message);
    })().catch(() => undefined);
    try {
      const messages = (notes: StoredNote[]) => notes.map((note) => note.note?.message);
      callA.write({ location: here, message: "from A" });
      await until(() => messages(subscribedB).includes("from A"), "A's RouteChat note on B's SubscribeNotes");
      // B's RouteChat first receives A's note (the history at the location), then A gets B's live.
      requestsB.push(create(RouteNoteSchema, { location: here, message: "from B" }));
      await until(() => routeChatB.includes("from A"), "A's note on B's RouteChat");
      await until(() => routeChatA.includes("from B"), "B's note on A's RouteChat");
      await until(() => messages(subscribedA).includes("from B"), "B's note on A's SubscribeNotes");
      // Exactly once each so far. (A's next note replays the location's history to A, as canonical RouteChat does.)
      expect(routeChatA.filter((m) => m === "from B")).toHaveLength(1);
      expect(messages(subscribedB).filter((m) => m === "from A")).toHaveLength(1);
      callA.write({ location: here, message: "A again" });
      await until(() => routeChatB.includes("A again"), "A's live note on B's RouteChat");

      chatCall.write({ text: "hello from A" });
      await until(() => chatB.some((message) => message.text === "hello from A"), "A's chat on B");
      await createClient(ChatRoomService, connect(1)).post({ text: "hello from B" });
      await until(() => chatA.includes("hello from B"), "B's chat on A");
      expect(chatA.filter((m) => m === "hello from B")).toHaveLength(1);
    } finally {
      controller.abort();
      requestsB.end();
      callA.end();
      chatCall.end();
      guide.close();
      users.close();
      await Promise.all([...subscriptions, streamB, chatStream]);
    }
  });

  it("a subscriber resuming with after_id across a restart of its replica sees every note once, in order", async () => {
    const lat = 20_000;
    const posted: bigint[] = [];
    let writing = true;
    const writer = (async () => {
      const notes = createClient(RouteNotesService, grpcOver(0));
      for (let i = 0; writing; i++) {
        posted.push((await notes.postNote({ location: { latitude: lat, longitude: i % 50 }, message: `n${i}` })).id);
      }
    })();
    const seen: StoredNote[] = [];
    let ended = await (async () => {
      const first = subscribe(1, lat, 0n, seen);
      await until(() => seen.length >= 5, "the first notes");
      await cluster.replicas[1]!.stop("SIGTERM");
      return first;
    })();
    expect(ended).toMatchObject({ code: Code.Unavailable });
    await cluster.restart(1);
    // Resume where the stream stopped, on the restarted replica.
    const controller = new AbortController();
    ended = undefined;
    const resumed = subscribe(1, lat, seen.at(-1)!.id, seen, controller.signal);
    await until(() => seen.length >= posted.length + 5 || posted.length > 60, "more notes after the restart");
    writing = false;
    await writer;
    await until(() => seen.length >= posted.length, "every posted note");
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    await resumed;
    expect(seen.map((note) => note.id)).toEqual([...posted].sort((x, y) => (x < y ? -1 : 1)));
  }, 60_000);

  it("SIGKILL of one replica under write load loses no acknowledged write", async () => {
    const acked: { user: string; note: bigint }[] = [];
    let writing = true;
    const writers = [0, 1, 2, 3].map(async (w) => {
      const target = w % 2;
      const users = createClient(UserService, grpcOver(target));
      const notes = createClient(RouteNotesService, connect(target));
      for (let i = 0; writing; i++) {
        try {
          const user = await users.createUser({ username: `k${w}x${i}`, email: `k${w}x${i}@example.com`, password: "long enough" });
          const note = await notes.postNote({ location: { latitude: 30_000 + w, longitude: i }, message: `k${w} ${i}` });
          acked.push({ user: user.id, note: note.id });
        } catch {
          if (target === 0) return; // its replica is gone
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    });
    await until(() => acked.length >= 20, "some writes");
    await cluster.replicas[0]!.stop("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 300));
    writing = false;
    await Promise.all(writers);
    const users = createClient(UserService, connect(1));
    for (const { user } of acked) expect((await users.getUser({ id: user })).id).toBe(user);
    const stored = new Set<bigint>();
    const controller = new AbortController();
    const notes: StoredNote[] = [];
    const reading = subscribe(1, 30_000, 0n, notes, controller.signal);
    const maxAcked = acked.reduce((max, { note }) => (note > max ? note : max), 0n);
    await until(() => notes.some((note) => note.id >= maxAcked), "the stored notes");
    controller.abort();
    await reading;
    for (const note of notes) stored.add(note.id);
    for (const { note } of acked) expect(stored.has(note)).toBe(true);
    await cluster.restart(0);
  }, 60_000);

  it("Redis lost under open streams: they end UNAVAILABLE, health turns NOT_SERVING, then both recover and resume with nothing lost", async () => {
    const lat = 40_000;
    const seen: StoredNote[] = [];
    const first = subscribe(1, lat, 0n, seen);
    const notes = createClient(RouteNotesService, grpcOver(0));
    const before = await notes.postNote({ location: { latitude: lat, longitude: 1 }, message: "before" });
    await until(() => seen.length === 1, "the first note");

    await cluster.redis.cut();
    expect(await first).toMatchObject({ code: Code.Unavailable });
    await bothReport(Status.NOT_SERVING, "stayed SERVING without Redis", 10_000);
    // New streams are refused until Redis is back; a note posted now is stored (acknowledged).
    const refused: StoredNote[] = [];
    expect(await subscribe(1, lat, 0n, refused)).toMatchObject({ code: Code.Unavailable });
    const whileAway = await notes.postNote({ location: { latitude: lat, longitude: 2 }, message: "while away" });

    await cluster.redis.restore();
    await bothReport(Status.SERVING, "did not return to SERVING", 15_000);
    const controller = new AbortController();
    const resumed = subscribe(1, lat, before.id, seen, controller.signal);
    const after = await notes.postNote({ location: { latitude: lat, longitude: 3 }, message: "after" });
    await until(() => seen.length >= 3, "the resumed notes");
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await resumed;
    expect(seen.map((note) => note.id)).toEqual([before.id, whileAway.id, after.id]);
  }, 60_000);

  it("database lost: calls fail UNAVAILABLE and health turns NOT_SERVING; when it is back both serve again without a restart", async () => {
    const users = createClient(UserService, createGrpcWebTransport({ baseUrl: url(0), httpVersion: "1.1", interceptors: [bearer(CLUSTER_TOKEN)] }));
    await cluster.postgres.cut();
    try {
      await expect(users.getUser({ id: "anyone" })).rejects.toMatchObject({ code: Code.Unavailable });
      await bothReport(Status.NOT_SERVING, "stayed SERVING without its database", 10_000);
    } finally {
      await cluster.postgres.restore();
    }
    await bothReport(Status.SERVING, "did not return to SERVING", 15_000);
    const created = await users.createUser({ username: "after-outage", email: "after-outage@example.com", password: "long enough" });
    expect((await createClient(UserService, connect(1)).getUser({ id: created.id })).username).toBe("after-outage");
  }, 60_000);
});

describe("two replicas with rate limits", () => {
  let limited: ReplicaCluster;
  beforeAll(async () => {
    limited = await startReplicaCluster(2, { RATE_LIMIT_NOTES: "4/min" });
  }, 60_000);
  afterAll(() => limited?.close(), 30_000);

  it("count a client's notes on both replicas together: alternating replicas does not double the rate", async () => {
    const codes: (Code | "ok")[] = [];
    for (let i = 0; i < 6; i++) {
      const notes = createClient(RouteNotesService, createConnectTransport({ baseUrl: limited.replicas[i % 2]!.url, httpVersion: "1.1", interceptors: [bearer(CLUSTER_TOKEN)] }));
      codes.push(await notes.postNote({ location: { latitude: 50_000, longitude: i }, message: `n${i}` }).then(() => "ok" as const, (error) => ConnectError.from(error).code));
    }
    expect(codes).toEqual(["ok", "ok", "ok", "ok", Code.ResourceExhausted, Code.ResourceExhausted]);
  });
});


import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RouteNoteSchema } from "../../gen/routeguide/route_guide_pb.js";
import type { StoredNote } from "../../gen/routeguide/route_notes_pb.js";
import { openRedisLink, type RedisLink } from "../redis/redis-link.js";
import { createNoteBoard, type NoteBoard } from "../route-guide/note-board.js";
import { openPostgresStorage } from "../storage/postgres-storage.js";
import type { NoteStore, Storage } from "../storage/storage.js";
import { startTcpProxy, type TcpProxy, throughProxy } from "../test-support/tcp-proxy.js";
import { createTestDatabase, createTestRedisPrefix, type TestDatabase, TEST_REDIS_URL } from "../test-support/test-services.js";
import { createNoteSequencer, type NoteSequencer } from "./note-sequencer.js";
import { createRedisHub } from "./redis-hub.js";

/** One replica: its own database pool, Redis link, sequencer and board, as server/backends.ts builds them. */
interface Replica {
  storage: Storage;
  link: RedisLink;
  hub: NoteSequencer;
  board: NoteBoard;
  close(): Promise<void>;
}

let database: TestDatabase;
let redisProxy: TcpProxy;
const redisPrefix = createTestRedisPrefix();
const open: Replica[] = [];

async function startReplica(options: { wrapStore?: (store: NoteStore) => NoteStore; pollMs?: number; publishDelayMs?: number } = {}): Promise<Replica> {
  const storage = await openPostgresStorage({ connectionString: database.url, poolSize: 4 });
  // Redis through a proxy, so that a test can take it away from the replicas.
  const link = await openRedisLink({ url: throughProxy(TEST_REDIS_URL, redisProxy), keyPrefix: redisPrefix.prefix, retryMs: 50 });
  const redisHub = await createRedisHub<bigint>({ link, channel: "notes", codec: { encode: String, decode: BigInt } });
  // A replica whose event loop is busy publishes late: other replicas' later notes overtake its own.
  const delay = options.publishDelayMs ?? 0;
  const doorbell = { ...redisHub, publish: async (id: bigint) => (await new Promise((r) => setTimeout(r, delay)), redisHub.publish(id)) };
  const store = options.wrapStore?.(storage.notes) ?? storage.notes;
  const hub = await createNoteSequencer({ store, doorbell, pollMs: options.pollMs, retryMs: 50 });
  const board = createNoteBoard({ store, hub });
  const replica = {
    storage,
    link,
    hub,
    board,
    async close() {
      hub.close();
      await link.close();
      await storage.close();
    },
  };
  open.push(replica);
  return replica;
}

beforeAll(async () => {
  database = await createTestDatabase();
  const target = new URL(TEST_REDIS_URL);
  redisProxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
});
afterAll(async () => {
  for (const replica of open) await replica.close();
  await redisProxy?.close();
  await redisPrefix.clear();
  await database?.drop();
});

const note = (latitude: number, longitude: number, message: string) =>
  create(RouteNoteSchema, { location: { latitude, longitude }, message });
const area = (latitude: number) => ({ minLatitude: latitude, maxLatitude: latitude + 100, minLongitude: 0, maxLongitude: 100 });

/** A feed's deliveries, and a wait for a given count. */
function recorder() {
  const notes: StoredNote[] = [];
  let lost: ConnectError | undefined;
  const waiters: (() => void)[] = [];
  return {
    notes,
    get lost() {
      return lost;
    },
    deliver(stored: StoredNote) {
      notes.push(stored);
      for (const wake of waiters.splice(0)) wake();
    },
    onLost(error: ConnectError) {
      lost = error;
      for (const wake of waiters.splice(0)) wake();
    },
    async until(check: () => boolean, what: string, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; have ${notes.map((n) => n.id).join(",")}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

describe("notes across replicas (PostgreSQL + Redis)", () => {
  it("resume on replica B sees every note posted on A exactly once, including those committed while B read its history", async () => {
    const a = await startReplica();
    // B's history read is held open while A commits more notes: exactly the window between
    // reading history and going live, where a note can be lost or shown twice.
    const lat = 1_000;
    let duringHistory: (() => Promise<void>) | undefined;
    const b = await startReplica({
      wrapStore: (store) => ({
        ...store,
        async listIn(...args) {
          const page = await store.listIn(...args);
          // The feed's read of its area only (the sequencer reads the whole world).
          if (args[0].minLatitude !== lat) return page;
          const hook = duringHistory;
          duringHistory = undefined;
          await hook?.();
          return page;
        },
      }),
    });
    const before = [];
    for (let i = 0; i < 5; i++) before.push(await a.board.post(note(lat + i, i, `before ${i}`)));
    const afterId = before[1]!.id;
    const committedDuring: bigint[] = [];
    duringHistory = async () => {
      // Posted on A, from several callers at once, committed and published before B's read returns.
      const posted = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => a.board.post(note(lat + 10 + i, i, `during ${i}`))));
      committedDuring.push(...posted.map((stored) => stored.id));
      await new Promise((resolve) => setTimeout(resolve, 100)); // their doorbells reach B meanwhile
    };
    const seen = recorder();
    const feed = b.board.openFeed({ deliver: seen.deliver, onLost: seen.onLost });
    await feed.replayAndWatch(area(lat), afterId);
    expect(committedDuring).toHaveLength(6);
    const after = await Promise.all([0, 1, 2].map((i) => a.board.post(note(lat + 20 + i, i, `after ${i}`))));
    const expected = [...before.slice(2).map((s) => s.id), ...committedDuring, ...after.map((s) => s.id)].sort((x, y) => (x < y ? -1 : 1));
    await seen.until(() => seen.notes.length >= expected.length, "every note");
    await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more may come
    expect(seen.notes.map((stored) => stored.id)).toEqual(expected);
    feed.close();
  });

  it("delivers live notes from concurrent writers on two replicas in id order, so after_id of the last one seen loses nothing", async () => {
    const [a, b] = [await startReplica(), await startReplica()];
    const lat = 2_000;
    const seenOnA = recorder();
    const feed = a.board.openFeed({ deliver: seenOnA.deliver });
    await feed.replayAndWatch(area(lat));
    const posted = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).board.post(note(lat + (i % 7), i, `n${i}`))));
    await seenOnA.until(() => seenOnA.notes.length >= 40, "40 notes");
    const ids = seenOnA.notes.map((stored) => stored.id);
    expect(ids).toEqual(posted.map((stored) => stored.id).sort((x, y) => (x < y ? -1 : 1)));
    feed.close();
  });

  it("delivers in id order when a replica publishes late, so resuming after the last note seen loses nothing", async () => {
    const a = await startReplica({ publishDelayMs: 300 });
    const b = await startReplica();
    const lat = 2_500;
    const seen = recorder();
    const feed = b.board.openFeed({ deliver: seen.deliver });
    await feed.replayAndWatch(area(lat));
    const committedBefore = await a.storage.notes.latestId();
    const slow = a.board.post(note(lat, 1, "committed first, published late"));
    while ((await a.storage.notes.latestId()) === committedBefore) await new Promise((r) => setTimeout(r, 5));
    const fast = await b.board.post(note(lat, 2, "committed second, published at once"));
    const first = await slow;
    expect(first.id < fast.id).toBe(true);
    await seen.until(() => seen.notes.length >= 2, "both notes");
    expect(seen.notes.map((stored) => stored.id)).toEqual([first.id, fast.id]);
    feed.close();
  });

  it("delivers a committed note whose doorbell never rang (its replica died before publishing)", async () => {
    const a = await startReplica();
    const b = await startReplica({ pollMs: 200 });
    const lat = 3_000;
    const seen = recorder();
    const feed = b.board.openFeed({ deliver: seen.deliver });
    await feed.replayAndWatch(area(lat));
    // Committed straight to the database: no publish follows.
    const orphan = await a.storage.notes.add({ latitude: lat, longitude: 1, message: "orphan", createdAt: Date.now() });
    await seen.until(() => seen.notes.length === 1, "the orphan note");
    expect(seen.notes[0]!.id).toBe(orphan.id);
    feed.close();
  });

  it("ends feeds UNAVAILABLE when Redis goes away, refuses new ones, and resumes with nothing lost once it is back", async () => {
    const [a, b] = [await startReplica(), await startReplica()];
    const lat = 4_000;
    const seen = recorder();
    const feed = b.board.openFeed({ deliver: seen.deliver, onLost: seen.onLost });
    await feed.replayAndWatch(area(lat));
    await a.board.post(note(lat, 1, "one"));
    await seen.until(() => seen.notes.length === 1, "the first note");

    await redisProxy.cut();
    await seen.until(() => seen.lost !== undefined, "the loss");
    expect(seen.lost).toMatchObject({ code: Code.Unavailable });
    expect(() => b.board.openFeed({ deliver: () => undefined })).toThrow(ConnectError);
    await expect(b.hub.check()).rejects.toMatchObject({ code: Code.Unavailable });
    // Posted while Redis is away: committed, so acknowledged; it must reach the resumed stream.
    const whileAway = await a.board.post(note(lat, 2, "while away"));

    await redisProxy.restore();
    // Both replicas' links reconnect by themselves (commands and subscription).
    const deadline = Date.now() + 10_000;
    for (const replica of [a, b]) {
      while (!(await replica.hub.check().then(() => true, () => false))) {
        if (Date.now() > deadline) throw new Error("Redis link did not come back");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const resumed = recorder();
    const again = b.board.openFeed({ deliver: resumed.deliver, onLost: resumed.onLost });
    await again.replayAndWatch(area(lat), seen.notes.at(-1)!.id);
    const later = await a.board.post(note(lat, 3, "after"));
    await resumed.until(() => resumed.notes.length >= 2, "the resumed notes");
    expect(resumed.notes.map((stored) => stored.id)).toEqual([whileAway.id, later.id]);
    again.close();
    feed.close();
  });
});

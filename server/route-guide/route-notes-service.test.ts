import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PointSchema, RouteGuide, type RouteNote, RouteNoteSchema } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService, type StoredNote } from "../../gen/routeguide/route_notes_pb.js";
import type { App } from "../app.js";
import { createPushStream } from "../test-support/push-stream.js";
import { clientFor, collect, createTestApp, eventually, inMemoryTransport } from "../test-support/test-server.js";

const point = (latitude: number, longitude: number) => create(PointSchema, { latitude, longitude });
const note = (latitude: number, longitude: number, message: string) =>
  create(RouteNoteSchema, { location: point(latitude, longitude), message });

let app: App;
let notes: ReturnType<typeof clientFor<typeof RouteNotesService>>;
let guide: ReturnType<typeof clientFor<typeof RouteGuide>>;
beforeEach(() => {
  app = createTestApp();
  const transport = inMemoryTransport(app);
  notes = clientFor(RouteNotesService, transport);
  guide = clientFor(RouteGuide, transport);
});
afterEach(() => app.close());

/** Subscribes in the background; `received` fills as notes arrive. */
function subscribe(request: Parameters<typeof notes.subscribeNotes>[0]) {
  const controller = new AbortController();
  const received: StoredNote[] = [];
  const done = (async () => {
    try {
      for await (const stored of notes.subscribeNotes(request, { signal: controller.signal })) received.push(stored);
    } catch (error) {
      if (ConnectError.from(error).code !== Code.Canceled) throw error;
    }
  })();
  return { received, cancel: () => (controller.abort(), done) };
}

describe("PostNote", () => {
  it("records a note and returns it with an increasing id and the server's time", async () => {
    const before = Date.now();
    const first = await notes.postNote(note(1, 2, "one"));
    const second = await notes.postNote(note(1, 2, "two"));
    expect(second.id).toBeGreaterThan(first.id);
    expect(Number(first.createdAt)).toBeGreaterThanOrEqual(before);
    expect(first.note).toMatchObject({ message: "one", location: { latitude: 1, longitude: 2 } });
  });

  it("rejects invalid notes, naming the field", async () => {
    await expect(notes.postNote(note(0, 1800000001, "x"))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/^location\.longitude/),
    });
    await expect(notes.postNote(note(0, 0, "x".repeat(1001)))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: "message: must be at most 1000 characters",
    });
  });
});

describe("SubscribeNotes", () => {
  it("streams the history at a location, then new notes live, from any client", async () => {
    await notes.postNote(note(7, 7, "old"));
    await notes.postNote(note(8, 8, "other place"));
    const sub = subscribe({ scope: { case: "location", value: point(7, 7) } });
    await eventually(() => sub.received.length === 1);
    await notes.postNote(note(7, 7, "new"));
    await notes.postNote(note(8, 8, "not here"));
    await eventually(() => sub.received.length === 2);
    await sub.cancel();
    expect(sub.received.map((s) => s.note?.message)).toEqual(["old", "new"]);
  });

  it("resumes after a given id without repeating anything", async () => {
    const first = await notes.postNote(note(7, 7, "seen"));
    await notes.postNote(note(7, 7, "missed while away"));
    const sub = subscribe({ scope: { case: "location", value: point(7, 7) }, afterId: first.id });
    await eventually(() => sub.received.length === 1);
    await sub.cancel();
    expect(sub.received.map((s) => s.note?.message)).toEqual(["missed while away"]);
  });

  it("covers a rectangle, corners in either order", async () => {
    await notes.postNote(note(10, 10, "inside"));
    await notes.postNote(note(30, 30, "outside"));
    const sub = subscribe({ scope: { case: "area", value: { lo: point(20, 20), hi: point(0, 0) } } });
    await eventually(() => sub.received.length === 1);
    await notes.postNote(note(20, 0, "on the edge"));
    await eventually(() => sub.received.length === 2);
    await sub.cancel();
    expect(sub.received.map((s) => s.note?.message)).toEqual(["inside", "on the edge"]);
  });

  it("neither loses nor repeats notes posted while the history is being read", async () => {
    for (let i = 0; i < 20; i++) await notes.postNote(note(9, 9, `before ${i}`));
    const sub = subscribe({ scope: { case: "location", value: point(9, 9) } });
    const concurrent = Array.from({ length: 20 }, (_, i) => notes.postNote(note(9, 9, `during ${i}`)));
    await Promise.all(concurrent);
    await eventually(() => sub.received.length >= 40);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sub.cancel();
    const ids = sub.received.map((s) => s.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
  });

  it("requires a scope and a non-negative after_id", async () => {
    await expect(collect(notes.subscribeNotes({}))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: "scope: exactly one field is required in oneof",
    });
    await expect(
      collect(notes.subscribeNotes({ scope: { case: "location", value: point(0, 0) }, afterId: -1n })),
    ).rejects.toMatchObject({ rawMessage: "after_id: must be greater than or equal to 0" });
  });

  it("releases its hub subscription when the subscriber goes away", async () => {
    const sub = subscribe({ scope: { case: "location", value: point(1, 1) } });
    await eventually(() => app.noteHub.subscriberCount() === 1);
    await sub.cancel();
    await eventually(() => app.noteHub.subscriberCount() === 0, 5_000, "subscriber released");
  });
});

describe("one hub for browsers and native RouteChat", () => {
  it("a browser post reaches a RouteChat stream, and a RouteChat note reaches a browser subscriber", async () => {
    const chat = createPushStream<RouteNote>();
    const nativeReceived: string[] = [];
    const nativeDone = (async () => {
      for await (const reply of guide.routeChat(chat)) nativeReceived.push(reply.message);
    })();
    chat.push(note(42, 42, "from native"));
    const sub = subscribe({ scope: { case: "location", value: point(42, 42) } });
    await eventually(() => sub.received.length === 1, 5_000, "native note at the browser");
    expect(sub.received[0]?.note?.message).toBe("from native");

    await notes.postNote(note(42, 42, "from browser"));
    await eventually(() => nativeReceived.includes("from browser"), 5_000, "browser note at native stream");
    await eventually(() => sub.received.length === 2);
    chat.end();
    await nativeDone;
    await sub.cancel();
  });
});

describe("SubscribeNotes heartbeats", () => {
  it("sends one at once, before the history, then one per interval, when asked", async () => {
    await app.close();
    app = createTestApp({ heartbeatMs: 40 });
    notes = clientFor(RouteNotesService, inMemoryTransport(app));
    await notes.postNote(note(5, 5, "history"));
    const subscription = subscribe({ scope: { case: "location", value: point(5, 5) }, heartbeats: true });
    await eventually(() => subscription.received.filter((stored) => stored.id === 0n).length >= 3);
    await subscription.cancel();
    expect(subscription.received[0]?.id).toBe(0n);
    expect(subscription.received[0]?.note).toBeUndefined();
    expect(subscription.received[1]?.note?.message).toBe("history");
  });

  it("sends none unless asked, so canonical-style clients see only notes", async () => {
    await app.close();
    app = createTestApp({ heartbeatMs: 20 });
    notes = clientFor(RouteNotesService, inMemoryTransport(app));
    const subscription = subscribe({ scope: { case: "location", value: point(6, 6) } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await notes.postNote(note(6, 6, "live"));
    await eventually(() => subscription.received.length > 0);
    await subscription.cancel();
    expect(subscription.received.map((stored) => stored.note?.message)).toEqual(["live"]);
  });
});

describe("bounds on notes", () => {
  it("keeps NOTES_PER_LOCATION notes per location, dropping the oldest", async () => {
    const small = createTestApp({ notesPerLocation: 5 });
    try {
      const smallNotes = clientFor(RouteNotesService, inMemoryTransport(small));
      for (let i = 0; i < 8; i++) await smallNotes.postNote(note(3, 3, `kept? ${i}`));
      await smallNotes.postNote(note(4, 4, "elsewhere"));
      const history = await small.storage.notes.listIn({ minLatitude: 3, maxLatitude: 4, minLongitude: 3, maxLongitude: 4 });
      expect(history.map((record) => record.message)).toEqual(["kept? 3", "kept? 4", "kept? 5", "kept? 6", "kept? 7", "elsewhere"]);
    } finally {
      await small.close();
    }
  });

  it("replays a history longer than a stream may buffer, page by page, then goes live", async () => {
    // 12,000 notes over 100 points: more than the 10,000 a stream may fall behind.
    for (let i = 0; i < 12_000; i++) {
      await app.storage.notes.add({ latitude: 10 + (i % 100), longitude: 10, message: `old ${i}`, createdAt: i });
    }
    const sub = subscribe({ scope: { case: "area", value: { lo: point(10, 10), hi: point(110, 10) } } });
    await eventually(() => sub.received.length === 12_000, 20_000, "the whole history");
    await notes.postNote(note(50, 10, "live"));
    await eventually(() => sub.received.length === 12_001, 5_000, "the live note");
    expect(sub.received.at(-1)?.note?.message).toBe("live");
    expect(new Set(sub.received.map((stored) => stored.id)).size).toBe(12_001);
    await sub.cancel();
  }, 30_000);
});

import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NoteRecord, type Storage, type UserRecord, UniqueViolationError } from "./storage.js";

/** One database as the contract suite sees it. */
export interface StorageUnderTest {
  /** Opens a handle on the (shared) database: several handles stand for several replicas. */
  open(): Promise<Storage>;
  /** Takes the database away from every handle, and brings it back (networked engines only). */
  outage?: { cut(): Promise<void>; restore(): Promise<void> };
  /** Removes the database. */
  destroy(): Promise<void>;
}

const world = { minLatitude: -900000000, maxLatitude: 900000000, minLongitude: -1800000000, maxLongitude: 1800000000 };
let serial = 0;

export function user(overrides: Partial<UserRecord> = {}): UserRecord {
  serial++;
  return {
    id: `id-${serial}-${Math.random().toString(36).slice(2)}`,
    username: `user${serial}`,
    email: `user${serial}@example.com`,
    passwordHash: "scrypt$x",
    createdAt: 1_700_000_000_000 + serial,
    roles: ["user"],
    tokensRevokedAt: 0,
    ...overrides,
  };
}

const note = (latitude: number, longitude: number, message = "hi"): Omit<NoteRecord, "id"> => ({ latitude, longitude, message, createdAt: Date.now() });

/** The same tests for every Storage implementation: what the services rely on. */
export function describeStorageContract(
  engine: string,
  setUp: () => Promise<StorageUnderTest>,
  /** Whether the engine can lose its database (setUp then returns `outage`). */
  { networked = false }: { networked?: boolean } = {},
): void {
  describe(`storage contract: ${engine}`, () => {
    let db: StorageUnderTest;
    let a: Storage;
    let b: Storage;
    beforeAll(async () => {
      db = await setUp();
      // Two handles opened at once: both migrate, neither may fail.
      [a, b] = await Promise.all([db.open(), db.open()]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await db?.destroy();
    });

    it("stores and finds users; usernames match ignoring case", async () => {
      const alice = user({ username: "Alice-Contract", roles: ["user", "admin"] });
      await a.users.insert(alice);
      expect(await b.users.get(alice.id)).toEqual(alice);
      expect(await b.users.findByUsername("alice-contract")).toEqual(alice);
      expect(await b.users.get("nobody")).toBeUndefined();
      expect(await b.users.findByUsername("nobody")).toBeUndefined();
    });

    it("refuses a username or email taken in any case, naming the field", async () => {
      const taken = user();
      await a.users.insert(taken);
      const sameName = b.users.insert(user({ username: taken.username.toUpperCase() }));
      await expect(sameName).rejects.toBeInstanceOf(UniqueViolationError);
      await expect(sameName).rejects.toMatchObject({ field: "username" });
      await expect(b.users.insert(user({ email: taken.email.toUpperCase() }))).rejects.toMatchObject({ field: "email" });
    });

    it("inserts a batch all or nothing", async () => {
      const existing = user();
      await a.users.insert(existing);
      const batch = [user(), user(), user({ email: existing.email })];
      await expect(b.users.insertMany(batch)).rejects.toMatchObject({ field: "email" });
      for (const record of batch) expect(await a.users.get(record.id)).toBeUndefined();
      const good = [user(), user()];
      await b.users.insertMany(good);
      for (const record of good) expect(await a.users.get(record.id)).toEqual(record);
    });

    it("lists users in creation order across handles, a page after a given user", async () => {
      const created: UserRecord[] = [];
      for (let i = 0; i < 6; i++) {
        const record = user();
        await (i % 2 === 0 ? a : b).users.insert(record);
        created.push(record);
      }
      const all = await a.users.list(undefined, 100_000);
      const ids = all.map((record) => record.id);
      const positions = created.map((record) => ids.indexOf(record.id));
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      expect((await b.users.list(created[1]!.id, 2)).map((record) => record.id)).toEqual([created[2]!.id, created[3]!.id]);
      expect(await b.users.list(created[5]!.id, 10)).toEqual([]);
    });

    it("keeps the latest token revocation", async () => {
      const record = user();
      await a.users.insert(record);
      await b.users.revokeTokens(record.id, 5_000);
      await a.users.revokeTokens(record.id, 4_000);
      expect((await b.users.get(record.id))?.tokensRevokedAt).toBe(5_000);
    });

    it("gives notes ids that increase across handles, and commits them in id order", async () => {
      // Writers on both handles at once; a reader polling meanwhile must never see a lower id
      // appear after a higher one (that would be a gap for a client resuming with after_id).
      const location = { latitude: 11, longitude: 22 };
      const area = { minLatitude: 11, maxLatitude: 11, minLongitude: 22, maxLongitude: 22 };
      let stop = false;
      const seen: bigint[] = [];
      const reader = (async () => {
        let last = 0n;
        while (!stop) {
          for (const record of await a.notes.listIn(area, last)) {
            seen.push(record.id);
            last = record.id;
          }
        }
      })();
      const written = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).notes.add(note(location.latitude, location.longitude, `n${i}`))),
      );
      stop = true;
      await reader;
      for (const record of await a.notes.listIn(area, seen.at(-1) ?? 0n)) seen.push(record.id);
      const ids = written.map((record) => record.id);
      expect(new Set(ids).size).toBe(60);
      expect(seen).toEqual([...ids].sort((x, y) => (x < y ? -1 : 1)));
    });

    it("lists notes in an area after an id, oldest first, edges included, up to a limit", async () => {
      // Far from the other tests' notes: an area of its own.
      const [lat, lng] = [50_000_000, 60_000_000];
      const inside = [await a.notes.add(note(lat - 500, lng - 500)), await b.notes.add(note(lat + 500, lng + 500)), await a.notes.add(note(lat, lng, "mid"))];
      await b.notes.add(note(lat + 501, lng));
      const area = { minLatitude: lat - 500, maxLatitude: lat + 500, minLongitude: lng - 500, maxLongitude: lng + 500 };
      expect((await b.notes.listIn(area)).map((record) => record.id)).toEqual(inside.map((record) => record.id));
      expect(await a.notes.listIn(area, inside[0]!.id, 1)).toEqual([inside[1]]);
      const mid = (await a.notes.listIn(area, inside[1]!.id))[0];
      expect(mid).toMatchObject({ latitude: lat, longitude: lng, message: "mid" });
      expect(typeof mid?.id).toBe("bigint");
    });

    it("keeps at most keepPerLocation notes at a location, the newest", async () => {
      const kept: bigint[] = [];
      for (let i = 0; i < 5; i++) kept.push((await (i % 2 ? a : b).notes.add(note(33, 44, `r${i}`), { keepPerLocation: 3 })).id);
      const area = { minLatitude: 33, maxLatitude: 33, minLongitude: 44, maxLongitude: 44 };
      expect((await a.notes.listIn(area)).map((record) => record.id)).toEqual(kept.slice(2));
    });

    it("reports the latest note id from any handle", async () => {
      const added = await a.notes.add(note(77, 88));
      expect(await b.notes.latestId()).toBe(added.id);
    });

    it("answers a health check", async () => {
      await expect(a.check()).resolves.toBeUndefined();
    });

    // Only a networked engine can lose its database; SQLite is in the process.
    if (networked) it("fails UNAVAILABLE while the database is away, writes nothing half, and recovers without a restart", async () => {
      const outage = db.outage!;
      const batch = [user(), user(), user()];
      await outage.cut();
      try {
        const attempts = [() => a.check(), () => a.users.get("x"), () => b.users.insertMany(batch), () => a.notes.add(note(1, 1)), () => b.notes.listIn(world)];
        for (const attempt of attempts) {
          const error = await attempt().then(() => undefined, (e: unknown) => e);
          expect(error).toBeInstanceOf(ConnectError);
          expect(error).toMatchObject({ code: Code.Unavailable });
        }
      } finally {
        await outage.restore();
      }
      await expect(a.check()).resolves.toBeUndefined();
      for (const record of batch) expect(await a.users.get(record.id)).toBeUndefined();
      await b.users.insertMany(batch);
      expect(await a.users.get(batch[2]!.id)).toEqual(batch[2]);
    });
  });
}

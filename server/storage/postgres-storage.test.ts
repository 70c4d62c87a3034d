import { afterAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createTestDatabase, TEST_POSTGRES_URL } from "../test-support/test-services.js";
import { startTcpProxy, throughProxy } from "../test-support/tcp-proxy.js";
import { migratePostgres, POSTGRES_MIGRATIONS } from "./postgres-migrations.js";
import { openPostgresStorage } from "./postgres-storage.js";
import { describeStorageContract } from "./storage-contract.js";

describeStorageContract(
  "PostgreSQL",
  async () => {
    const database = await createTestDatabase();
    const target = new URL(TEST_POSTGRES_URL);
    // Every handle goes through the proxy, so the suite can take the database away from them.
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const url = throughProxy(database.url, proxy);
    return {
      open: () => openPostgresStorage({ connectionString: url, connectTimeoutMs: 2_000, statementTimeoutMs: 2_000 }),
      outage: { cut: () => proxy.cut(), restore: () => proxy.restore() },
      async destroy() {
        await proxy.close();
        await database.drop();
      },
    };
  },
  { networked: true },
);

/**
 * Ends a pool and waits until its connections have closed. pool.end() resolves as soon as it has
 * told its idle clients to end: a DROP DATABASE ... WITH (FORCE) right after can cut a connection
 * still closing, and the pool then raises that client's error with nobody listening (an
 * uncaught exception that failed a CI run).
 */
async function endPool(pool: pg.Pool): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    pool.on("remove", () => {
      if (--open === 0) resolve();
    });
  });
  await pool.end();
  await closed;
}

describe("PostgreSQL migrations", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it("are applied once, in order, when several replicas start together, and again on a newer release", async () => {
    const database = await createTestDatabase();
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: database.url, max: 2 }));
    cleanups.push(async () => {
      await Promise.all(pools.map(endPool));
      await database.drop();
    });
    // The first release had one migration; four replicas of it start at once.
    await Promise.all(pools.map((pool) => migratePostgres(pool, POSTGRES_MIGRATIONS.slice(0, 1))));
    const versions = async () => (await pools[0]!.query("SELECT version FROM schema_migrations ORDER BY version")).rows.map((row) => row.version);
    expect(await versions()).toEqual([1]);
    await pools[0]!.query("INSERT INTO users (id, username, email, password_hash, created_at, roles) VALUES ('u1', 'old', 'old@example.com', 'h', 1, '{user}')");
    // The next release, started on the same database by two replicas at once, adds the rest.
    await Promise.all(pools.slice(0, 2).map((pool) => migratePostgres(pool)));
    expect(await versions()).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    const { rows } = await pools[1]!.query("SELECT tokens_revoked_at FROM users WHERE id = 'u1'");
    expect(Number(rows[0].tokens_revoked_at)).toBe(0);
  });

  it("refuses a database migrated by a newer release", async () => {
    const database = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    cleanups.push(async () => {
      await endPool(pool);
      await database.drop();
    });
    await migratePostgres(pool);
    await pool.query("INSERT INTO schema_migrations (version) VALUES (999)");
    await expect(migratePostgres(pool)).rejects.toThrow(/version 999, newer than this release/);
  });
});

describe("PostgreSQL note order", () => {
  it("holds a second writer while an earlier note is uncommitted, so no reader sees a later id before an earlier one", async () => {
    const database = await createTestDatabase();
    const storage = await openPostgresStorage({ connectionString: database.url });
    const writer = new pg.Client({ connectionString: database.url });
    await writer.connect();
    try {
      const area = { minLatitude: 9, maxLatitude: 9, minLongitude: 9, maxLongitude: 9 };
      // An add in a transaction of its own that has not committed yet: a replica in the middle of its insert.
      await writer.query("BEGIN");
      const { rows } = await writer.query("SELECT add_route_note(9, 9, 'first', 1, NULL)::text AS id");
      const first = BigInt(rows[0].id);
      const second = storage.notes.add({ latitude: 9, longitude: 9, message: "second", createdAt: 2 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Nothing visible yet: the second note waits for the first to commit (without the lock it
      // would be visible now, and a reader would resume after it and never see the first).
      expect(await storage.notes.listIn(area)).toEqual([]);
      await writer.query("COMMIT");
      const added = await second;
      expect(added.id > first).toBe(true);
      expect((await storage.notes.listIn(area)).map((note) => note.id)).toEqual([first, added.id]);
    } finally {
      await writer.end();
      await storage.close();
      await database.drop();
    }
  });
});


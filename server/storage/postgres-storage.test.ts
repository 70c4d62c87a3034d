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

describe("PostgreSQL migrations", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it("are applied once, in order, when several replicas start together, and again on a newer release", async () => {
    const database = await createTestDatabase();
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: database.url, max: 2 }));
    cleanups.push(async () => {
      await Promise.all(pools.map((pool) => pool.end()));
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
      await pool.end();
      await database.drop();
    });
    await migratePostgres(pool);
    await pool.query("INSERT INTO schema_migrations (version) VALUES (999)");
    await expect(migratePostgres(pool)).rejects.toThrow(/version 999, newer than this release/);
  });
});

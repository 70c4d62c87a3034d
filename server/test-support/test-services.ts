import { randomBytes } from "node:crypto";
import pg from "pg";
import { createClient } from "redis";

/**
 * PostgreSQL and Redis for tests. `scripts/prepare-test-machine.sh` (npm's pretest) makes sure both
 * listen on 127.0.0.1 (the defaults below); TEST_POSTGRES_URL and TEST_REDIS_URL point elsewhere.
 * Every caller gets its own database or key prefix and removes it afterwards.
 */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";

export interface TestDatabase {
  /** postgres:// URL of a fresh, empty database. */
  url: string;
  name: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

/** Creates an empty database named test_<random> on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString("hex")}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestRedisPrefix {
  /** Key and channel prefix of its own, e.g. "test:1a2b3c:". */
  prefix: string;
  /** Deletes every key under the prefix. */
  clear(): Promise<void>;
}

export function createTestRedisPrefix(): TestRedisPrefix {
  const prefix = `test:${randomBytes(6).toString("hex")}:`;
  return {
    prefix,
    async clear() {
      const client = createClient({ url: TEST_REDIS_URL });
      await client.connect();
      try {
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
          if (keys.length > 0) await client.del(keys);
        }
      } finally {
        client.destroy();
      }
    },
  };
}

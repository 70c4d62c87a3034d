import { resolve } from "node:path";
import { redactPassword } from "../lib/redact-url.js";
import { openPostgresStorage, type PostgresStorageOptions } from "./postgres-storage.js";
import { openSqliteStorage } from "./sqlite-storage.js";
import type { Storage } from "./storage.js";

/** Where data lives when DATABASE_URL is not set: a file under ./data/ of the working directory. */
export const DEFAULT_DATABASE_URL = "sqlite:data/app.db";

/** Pool settings for PostgreSQL (DATABASE_POOL_SIZE, DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_CONNECT_TIMEOUT_MS). */
export type DatabaseOptions = Omit<PostgresStorageOptions, "connectionString">;

/**
 * Opens the storage named by a DATABASE_URL: `postgres://` or `postgresql://` (migrated on
 * open), `sqlite:PATH` (relative to the working directory) or `sqlite::memory:`.
 */
export async function openStorage(databaseUrl: string = DEFAULT_DATABASE_URL, options: DatabaseOptions = {}): Promise<Storage> {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return openPostgresStorage({ ...options, connectionString: databaseUrl });
  return openEmbeddedStorage(databaseUrl);
}

/** The SQLite part of openStorage, synchronous. Other schemes are refused with a message naming them. */
export function openEmbeddedStorage(databaseUrl: string = DEFAULT_DATABASE_URL): Storage {
  const match = /^sqlite:(.+)$/.exec(databaseUrl);
  if (match === null) {
    throw new Error(`DATABASE_URL "${redactPassword(databaseUrl)}" is not supported: use postgres://user:password@host:port/database, sqlite:PATH or sqlite::memory:`);
  }
  const path = match[1] as string;
  return openSqliteStorage({ path: path === ":memory:" ? path : resolve(path) });
}

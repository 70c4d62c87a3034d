import type pg from "pg";

/**
 * The PostgreSQL schema, one entry per version. Append only: a database created by an older
 * release is brought forward on start. Applied versions are recorded in schema_migrations.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  // 1: users (seq gives creation order across replicas) and route notes.
  `CREATE TABLE users (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     username TEXT NOT NULL,
     email TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     roles TEXT[] NOT NULL
   );
   -- Unique ignoring case, as SQLite's COLLATE NOCASE.
   CREATE UNIQUE INDEX users_username_key ON users (lower(username));
   CREATE UNIQUE INDEX users_email_key ON users (lower(email));
   CREATE TABLE route_notes (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     latitude INTEGER NOT NULL,
     longitude INTEGER NOT NULL,
     message TEXT NOT NULL,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX route_notes_by_location ON route_notes (latitude, longitude, id);`,
  // 2: logout.
  `ALTER TABLE users ADD COLUMN tokens_revoked_at BIGINT NOT NULL DEFAULT 0;`,
  // 3: a note is added in one round trip. The transaction-scoped advisory lock makes notes commit
  // in id order across replicas (see postgres-storage.ts); held for one statement, not for several
  // round trips. The trim keeps the newest p_keep notes at the location (retention); NULL: no trim.
  `CREATE FUNCTION add_route_note(p_latitude INTEGER, p_longitude INTEGER, p_message TEXT, p_created_at BIGINT, p_keep INTEGER)
   RETURNS BIGINT LANGUAGE plpgsql AS $$
   DECLARE new_id BIGINT;
   BEGIN
     PERFORM pg_advisory_xact_lock(7431001);
     INSERT INTO route_notes (latitude, longitude, message, created_at)
       VALUES (p_latitude, p_longitude, p_message, p_created_at) RETURNING id INTO new_id;
     IF p_keep IS NOT NULL THEN
       DELETE FROM route_notes WHERE latitude = p_latitude AND longitude = p_longitude AND id <= (
         SELECT id FROM route_notes WHERE latitude = p_latitude AND longitude = p_longitude ORDER BY id DESC OFFSET p_keep LIMIT 1);
     END IF;
     RETURN new_id;
   END $$;`,
];

/** Session-level advisory lock held while migrating: replicas starting together take turns. */
const MIGRATION_LOCK = 7_431_000;

/** Applies the migrations not yet applied, each in its own transaction, under MIGRATION_LOCK. */
export async function migratePostgres(pool: pg.Pool, migrations: readonly string[] = POSTGRES_MIGRATIONS): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
      );
      const { rows } = await client.query("SELECT coalesce(max(version), 0) AS version FROM schema_migrations");
      const current = Number(rows[0].version);
      if (current > migrations.length) {
        throw new Error(`the database schema is at version ${current}, newer than this release knows (${migrations.length})`);
      }
      for (let version = current + 1; version <= migrations.length; version++) {
        await client.query("BEGIN");
        try {
          await client.query(migrations[version - 1] as string);
          await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [version]);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK");
          throw error;
        }
      }
      return migrations.length;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

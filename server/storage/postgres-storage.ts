import pg from "pg";
import { unavailableOnConnectionLoss } from "./database-errors.js";
import { migratePostgres } from "./postgres-migrations.js";
import { noteFromRow, userFromRow } from "./rows.js";
import { type NoteArea, type Storage, type UserRecord, UniqueViolationError } from "./storage.js";

export interface PostgresStorageOptions {
  /** postgres://user:password@host:port/database (DATABASE_URL). */
  connectionString: string;
  /** Connections in the pool (DATABASE_POOL_SIZE). Default: 10. */
  poolSize?: number;
  /** A statement running longer is cancelled and the call fails UNAVAILABLE (DATABASE_STATEMENT_TIMEOUT_MS). Default: 5,000 ms. */
  statementTimeoutMs?: number;
  /** Giving up on reaching the server, or on a free pool connection (DATABASE_CONNECT_TIMEOUT_MS). Default: 5,000 ms. */
  connectTimeoutMs?: number;
  /** Where errors of idle pooled connections are reported (the pool replaces them). Default: ignored. */
  onIdleError?: (error: Error) => void;
}

// BIGINT columns come back as strings by default; ours are Unix milliseconds and ids, well inside 2^53
// for times, and read as bigint for note ids explicitly.
const USER_COLUMNS = "id, username, email, password_hash, created_at::float8 AS created_at, roles, tokens_revoked_at::float8 AS tokens_revoked_at";
const NOTE_COLUMNS = "id::text AS id, latitude, longitude, message, created_at::float8 AS created_at";

/**
 * Storage on PostgreSQL through `pg` (pure JavaScript). Opening migrates the schema under an
 * advisory lock, so replicas that start together do not race. Lost connections surface as
 * UNAVAILABLE; the pool reconnects on the next call, so calls work again when the server is back.
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<Storage> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: "grpc-browser-app",
  });
  // An idle connection that breaks emits here; without a listener it would crash the process.
  pool.on("error", (error) => options.onIdleError?.(error));
  const query = (text: string, values?: unknown[]) => unavailableOnConnectionLoss(() => pool.query(text, values));
  const inTransaction = <T>(work: (client: pg.PoolClient) => Promise<T>) => unavailableOnConnectionLoss(async () => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  });

  try {
    await unavailableOnConnectionLoss(() => migratePostgres(pool));
  } catch (error) {
    await pool.end();
    throw error;
  }

  const insertUser = (client: pg.Pool | pg.PoolClient, user: UserRecord) =>
    client
      .query(
        `INSERT INTO users (id, username, email, password_hash, created_at, roles, tokens_revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [user.id, user.username, user.email, user.passwordHash, user.createdAt, user.roles, user.tokensRevokedAt],
      )
      .catch(rethrowUniqueViolation);

  return {
    engine: "postgresql",
    users: {
      async insert(user) {
        await unavailableOnConnectionLoss(() => insertUser(pool, user));
      },
      async insertMany(users) {
        await inTransaction(async (client) => {
          for (const user of users) await insertUser(client, user);
        });
      },
      async get(id) {
        const { rows } = await query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
        return rows[0] === undefined ? undefined : toUser(rows[0]);
      },
      async findByUsername(username) {
        const { rows } = await query(`SELECT ${USER_COLUMNS} FROM users WHERE lower(username) = lower($1)`, [username]);
        return rows[0] === undefined ? undefined : toUser(rows[0]);
      },
      async list(afterId, limit) {
        const { rows } =
          afterId === undefined
            ? await query(`SELECT ${USER_COLUMNS} FROM users ORDER BY seq LIMIT $1`, [limit])
            : await query(
                `SELECT ${USER_COLUMNS} FROM users WHERE seq > (SELECT seq FROM users WHERE id = $1) ORDER BY seq LIMIT $2`,
                [afterId, limit],
              );
        return rows.map(toUser);
      },
      async revokeTokens(id, at) {
        await query("UPDATE users SET tokens_revoked_at = greatest(tokens_revoked_at, $1) WHERE id = $2", [at, id]);
      },
    },
    notes: {
      /**
       * One statement (add_route_note, migration 3): the insert takes a transaction-scoped advisory
       * lock, so notes commit in id order. A reader that has seen id N never later finds a committed
       * note below N: that is what makes resuming with `after_id` gap-free when several replicas
       * write (see note-sequencer.ts). The retention trim runs in the same transaction.
       */
      async add(note, options = {}) {
        const { rows } = await query("SELECT add_route_note($1, $2, $3, $4, $5)::text AS id", [
          note.latitude,
          note.longitude,
          note.message,
          note.createdAt,
          options.keepPerLocation ?? null,
        ]);
        return { ...note, id: BigInt(rows[0].id) };
      },
      async listIn(area: NoteArea, afterId = 0n, limit?: number) {
        const { rows } = await query(
          `SELECT ${NOTE_COLUMNS} FROM route_notes
           WHERE latitude BETWEEN $1 AND $2 AND longitude BETWEEN $3 AND $4 AND id > $5
           ORDER BY route_notes.id LIMIT $6`,
          [area.minLatitude, area.maxLatitude, area.minLongitude, area.maxLongitude, afterId.toString(), limit === undefined || limit < 0 ? null : limit],
        );
        return rows.map(noteFromRow);
      },
      async latestId() {
        const { rows } = await query("SELECT coalesce(max(id), 0)::text AS id FROM route_notes");
        return BigInt(rows[0].id);
      },
    },
    async check() {
      await query("SELECT 1");
    },
    async close() {
      await pool.end();
    },
  };
}

function rethrowUniqueViolation(error: unknown): never {
  const { code, constraint } = error as { code?: string; constraint?: string };
  if (code === "23505" && (constraint === "users_username_key" || constraint === "users_email_key")) {
    throw new UniqueViolationError(constraint === "users_username_key" ? "username" : "email", { cause: error });
  }
  throw error;
}

const toUser = (row: Record<string, unknown>) => userFromRow(row, row.roles as string[]);

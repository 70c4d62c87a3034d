import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type NoteArea, type Storage, type UserRecord, UniqueViolationError } from "./storage.js";
import { noteFromRow, userFromRow } from "./rows.js";

/**
 * Each entry upgrades the schema by one version (PRAGMA user_version). Append only: a database
 * created by an older release is brought forward on open.
 */
const MIGRATIONS = [
  `CREATE TABLE users (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     username TEXT NOT NULL UNIQUE COLLATE NOCASE,
     email TEXT NOT NULL UNIQUE COLLATE NOCASE,
     password_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     roles TEXT NOT NULL
   );
   CREATE TABLE route_notes (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     latitude INTEGER NOT NULL,
     longitude INTEGER NOT NULL,
     message TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX route_notes_by_location ON route_notes (latitude, longitude, id);`,
  `ALTER TABLE users ADD COLUMN tokens_revoked_at INTEGER NOT NULL DEFAULT 0;`,
];

export interface SqliteStorageOptions {
  /** Database file, created with its folder if missing; ":memory:" for a throwaway database. */
  path: string;
}

export function openSqliteStorage(options: SqliteStorageOptions): Storage {
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const db = new DatabaseSync(options.path);
  // WAL lets readers proceed during writes; FULL sync makes every acknowledged write durable.
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
  migrate(db);

  const insertUser = db.prepare(
    `INSERT INTO users (id, username, email, password_hash, created_at, roles, tokens_revoked_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const revokeUserTokens = db.prepare("UPDATE users SET tokens_revoked_at = max(tokens_revoked_at, ?) WHERE id = ?");
  const selectUser = db.prepare("SELECT * FROM users WHERE id = ?");
  const selectUserByName = db.prepare("SELECT * FROM users WHERE username = ?");
  const selectUsersFromStart = db.prepare("SELECT * FROM users ORDER BY seq LIMIT ?");
  const selectUsersAfter = db.prepare(
    `SELECT * FROM users WHERE seq > (SELECT seq FROM users WHERE id = ?) ORDER BY seq LIMIT ?`,
  );
  const insertNote = db.prepare(
    `INSERT INTO route_notes (latitude, longitude, message, created_at) VALUES (?, ?, ?, ?)`,
  );
  const selectNotesIn = db.prepare(
    `SELECT * FROM route_notes
     WHERE latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ? AND id > ?
     ORDER BY id LIMIT ?`,
  );
  selectNotesIn.setReadBigInts(true);
  // The sequence, not max(id): ids are never reused, even after the newest note is deleted.
  const selectLatestNoteId = db.prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'route_notes'), 0) AS id");
  selectLatestNoteId.setReadBigInts(true);
  // Deletes the notes at a location older than its `keep` newest (the index is on location, id).
  const trimNotes = db.prepare(
    `DELETE FROM route_notes WHERE latitude = ? AND longitude = ? AND id <= (
       SELECT id FROM route_notes WHERE latitude = ? AND longitude = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
  );

  function insertUserRow(user: UserRecord): void {
    try {
      insertUser.run(user.id, user.username, user.email, user.passwordHash, user.createdAt, JSON.stringify(user.roles), user.tokensRevokedAt);
    } catch (error) {
      const column = uniqueColumn(error);
      if (column === "username" || column === "email") {
        throw new UniqueViolationError(column, { cause: error });
      }
      throw error;
    }
  }

  return {
    engine: "sqlite",
    users: {
      async insert(user: UserRecord) {
        insertUserRow(user);
      },
      async insertMany(users: readonly UserRecord[]) {
        inTransaction(db, () => {
          for (const user of users) insertUserRow(user);
        });
      },
      async get(id: string) {
        const row = selectUser.get(id);
        return row === undefined ? undefined : toUser(row);
      },
      async findByUsername(username: string) {
        const row = selectUserByName.get(username);
        return row === undefined ? undefined : toUser(row);
      },
      async list(afterId: string | undefined, limit: number) {
        const rows =
          afterId === undefined ? selectUsersFromStart.all(limit) : selectUsersAfter.all(afterId, limit);
        return rows.map(toUser);
      },
      async revokeTokens(id: string, at: number) {
        revokeUserTokens.run(at, id);
      },
    },
    notes: {
      async add(note, options = {}) {
        const { keepPerLocation } = options;
        const insert = () => BigInt(insertNote.run(note.latitude, note.longitude, note.message, note.createdAt).lastInsertRowid);
        // With a retention bound, the insert and the trim of that location's oldest notes are one transaction.
        const id =
          keepPerLocation === undefined
            ? insert()
            : inTransaction(db, () => {
                const inserted = insert();
                trimNotes.run(note.latitude, note.longitude, note.latitude, note.longitude, keepPerLocation);
                return inserted;
              });
        return { ...note, id };
      },
      async listIn(area: NoteArea, afterId = 0n, limit = -1) {
        const rows = selectNotesIn.all(
          area.minLatitude,
          area.maxLatitude,
          area.minLongitude,
          area.maxLongitude,
          afterId,
          limit,
        );
        return rows.map(noteFromRow);
      },
      async latestId() {
        return BigInt((selectLatestNoteId.get() as { id: bigint }).id);
      },
    },
    async check() {
      db.prepare("SELECT 1").get();
    },
    async close() {
      if (db.isOpen) db.close();
    },
  };
}

function migrate(db: DatabaseSync): void {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  for (let version = row.user_version; version < MIGRATIONS.length; version++) {
    inTransaction(db, () => {
      db.exec(MIGRATIONS[version] as string);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    });
  }
}

/** Runs `work` in one transaction: committed if it returns, rolled back if it throws. */
function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

const toUser = (row: Record<string, unknown>) => userFromRow(row, JSON.parse(String(row.roles)) as string[]);

/** "UNIQUE constraint failed: users.email" -> "email". */
function uniqueColumn(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : "";
  return /UNIQUE constraint failed: \w+\.(\w+)/.exec(message)?.[1];
}

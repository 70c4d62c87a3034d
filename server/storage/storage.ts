/**
 * Persistence behind the handlers: SQLite (node:sqlite) embedded by default, PostgreSQL for
 * several replicas. Both pass the same contract suite (storage-contract.ts).
 */
export interface Storage {
  /** Which database this is (traces name it as db.system.name). */
  readonly engine: "sqlite" | "postgresql";
  readonly users: UserStore;
  readonly notes: NoteStore;
  /** Resolves if the database answers; UNAVAILABLE otherwise (health checks). */
  check(): Promise<void>;
  /** Flushes and releases the database. Calls after close fail. */
  close(): Promise<void>;
}

export interface UserRecord {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  /** Unix time in milliseconds. */
  createdAt: number;
  roles: string[];
  /** Tokens issued at or before this Unix time in ms are refused (logout). 0: none revoked. */
  tokensRevokedAt: number;
}

export interface UserStore {
  /** Inserts a user; throws UniqueViolationError if the username or email is taken. */
  insert(user: UserRecord): Promise<void>;
  /** Inserts all or none, in one transaction (bulk loads); throws UniqueViolationError like insert. */
  insertMany(users: readonly UserRecord[]): Promise<void>;
  get(id: string): Promise<UserRecord | undefined>;
  /** Case-insensitive. */
  findByUsername(username: string): Promise<UserRecord | undefined>;
  /** Users in creation order, starting after the user `afterId` (from the start if undefined). */
  list(afterId: string | undefined, limit: number): Promise<UserRecord[]>;
  /** Refuses from now on every token issued to the user at or before `at` (Unix ms). */
  revokeTokens(id: string, at: number): Promise<void>;
}

export interface NoteRecord {
  /** Increases with every note, across locations. */
  id: bigint;
  latitude: number;
  longitude: number;
  message: string;
  /** Unix time in milliseconds. */
  createdAt: number;
}

export interface NoteArea {
  minLatitude: number;
  maxLatitude: number;
  minLongitude: number;
  maxLongitude: number;
}

export interface NoteStore {
  /**
   * Records a note. With `keepPerLocation`, older notes at the same location beyond that many
   * are deleted in the same transaction (the retention bound).
   */
  add(note: Omit<NoteRecord, "id">, options?: { keepPerLocation?: number }): Promise<NoteRecord>;
  /** Notes inside the area (edges included) with id > afterId, oldest first, at most `limit` (default: all). */
  listIn(area: NoteArea, afterId?: bigint, limit?: number): Promise<NoteRecord[]>;
  /** The highest note id recorded so far, 0n if none. */
  latestId(): Promise<bigint>;
}

/** A unique constraint was hit; `field` names the column ("username" or "email"). */
export class UniqueViolationError extends Error {
  constructor(readonly field: "username" | "email", options?: ErrorOptions) {
    super(`${field} is already taken`, options);
    this.name = "UniqueViolationError";
  }
}

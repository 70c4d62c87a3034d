/**
 * Persistence behind the handlers. SQLite (node:sqlite) is the embedded default; the methods
 * are async so that a networked database such as PostgreSQL can implement the same interface.
 */
export interface Storage {
  readonly users: UserStore;
  readonly notes: NoteStore;
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
  add(note: Omit<NoteRecord, "id">): Promise<NoteRecord>;
  /** Notes inside the area (edges included) with id > afterId, oldest first. */
  listIn(area: NoteArea, afterId?: bigint): Promise<NoteRecord[]>;
}

/** A unique constraint was hit; `field` names the column ("username" or "email"). */
export class UniqueViolationError extends Error {
  constructor(readonly field: "username" | "email", options?: ErrorOptions) {
    super(`${field} is already taken`, options);
    this.name = "UniqueViolationError";
  }
}

import type { NoteRecord, UserRecord } from "./storage.js";

/** A `users` row as both engines return it (snake_case columns), its roles already decoded. */
export function userFromRow(row: Record<string, unknown>, roles: string[]): UserRecord {
  return {
    id: String(row.id),
    username: String(row.username),
    email: String(row.email),
    passwordHash: String(row.password_hash),
    createdAt: Number(row.created_at),
    roles,
    tokensRevokedAt: Number(row.tokens_revoked_at),
  };
}

/** A `route_notes` row; the id may come as a bigint (SQLite) or as text (PostgreSQL). */
export function noteFromRow(row: Record<string, unknown>): NoteRecord {
  return {
    id: BigInt(row.id as bigint | string),
    latitude: Number(row.latitude),
    longitude: Number(row.longitude),
    message: String(row.message),
    createdAt: Number(row.created_at),
  };
}

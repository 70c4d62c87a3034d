import { randomUUID } from "node:crypto";
import type { UserStore } from "../storage/storage.js";
import { hashPassword } from "./password-hash.js";
import { DEFAULT_ROLES } from "./user-directory.js";

export interface SeedUsersOptions {
  /** How many users to add. */
  count: number;
  /** Usernames are `${prefix}${n}` (n from 1), emails `${prefix}${n}@example.test`. Default: "user". */
  prefix?: string;
  /** Every seeded user's password (hashed once and shared, so large seeds stay fast). Default: "password123". */
  password?: string;
  /** Rows per transaction. Default: 5,000. */
  batchSize?: number;
}

/**
 * Bulk-loads demo or benchmark users straight into storage, bypassing the per-user scrypt cost
 * of CreateUser (tens of milliseconds each). Seeded users can log in with `password`.
 */
export async function seedUsers(store: UserStore, options: SeedUsersOptions): Promise<void> {
  const prefix = options.prefix ?? "user";
  const batchSize = options.batchSize ?? 5_000;
  const passwordHash = await hashPassword(options.password ?? "password123");
  const createdAt = Date.now();
  for (let start = 1; start <= options.count; start += batchSize) {
    const batch = [];
    for (let n = start; n < Math.min(start + batchSize, options.count + 1); n++) {
      batch.push({
        id: randomUUID(),
        username: `${prefix}${n}`,
        email: `${prefix}${n}@example.test`,
        passwordHash,
        createdAt: createdAt + n,
        tokensRevokedAt: 0,
      roles: DEFAULT_ROLES,
      });
    }
    await store.insertMany(batch);
  }
}

import { tooMany } from "../limits/retry-info.js";
import { hashPassword, verifyPassword } from "./password-hash.js";

/**
 * Password hashing with admission control. scrypt runs on libuv's thread pool (4 threads,
 * shared with file and DNS work), about 100 ms of CPU each: without a bound, a burst of
 * logins queues there and every other login waits behind it. At most `concurrency` hashes run
 * at once, at most `maxQueued` wait (first come, first served) and at most `maxQueuedPerClient`
 * of them for one client, so one client's burst cannot stand in front of everyone else's
 * login. Beyond that a call is refused at once with RESOURCE_EXHAUSTED and a retry hint
 * instead of holding its connection.
 */
export interface PasswordWork {
  /** `client` identifies who asks (an address), for the per-client bound. */
  hash(password: string, client?: string): Promise<string>;
  verify(password: string, stored: string, client?: string): Promise<boolean>;
  /** Hashes running and waiting (for tests and metrics). */
  pending(): number;
}

export interface PasswordWorkOptions {
  /** Hashes computed at once. Default: 2. */
  concurrency?: number;
  /** Hashes waiting for a turn before new ones are refused. Default: 32. */
  maxQueued?: number;
  /** Hashes one client may have waiting. Default: 4. */
  maxQueuedPerClient?: number;
  /** The work itself. Default: scrypt (password-hash.ts). */
  hash?: (password: string) => Promise<string>;
  verify?: (password: string, stored: string) => Promise<boolean>;
}

export function createPasswordWork(options: PasswordWorkOptions = {}): PasswordWork {
  const concurrency = options.concurrency ?? 2;
  const maxQueued = options.maxQueued ?? 32;
  const maxQueuedPerClient = options.maxQueuedPerClient ?? 4;
  const queuedBy = new Map<string, number>();
  const hash = options.hash ?? ((password) => hashPassword(password));
  const verify = options.verify ?? verifyPassword;
  let running = 0;
  const waiting: (() => void)[] = [];

  async function admitted<T>(client: string, work: () => Promise<T>): Promise<T> {
    if (running >= concurrency) {
      const queued = queuedBy.get(client) ?? 0;
      if (waiting.length >= maxQueued || queued >= maxQueuedPerClient) throw tooMany("the server is busy checking passwords", 1_000);
      queuedBy.set(client, queued + 1);
      await new Promise<void>((resolve) => waiting.push(resolve));
      const left = (queuedBy.get(client) ?? 1) - 1;
      if (left === 0) queuedBy.delete(client);
      else queuedBy.set(client, left);
    } else {
      running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next in line, or give it back.
      const next = waiting.shift();
      if (next !== undefined) next();
      else running--;
    }
  }

  return {
    hash: (password, client = "") => admitted(client, () => hash(password)),
    verify: (password, stored, client = "") => admitted(client, () => verify(password, stored)),
    pending: () => running + waiting.length,
  };
}

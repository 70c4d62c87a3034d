import type { User } from "../../../gen/userservice/user_service_pb";

export interface Session {
  token: string;
  username: string;
  userId: string;
  /** Unix time in milliseconds. */
  expiresAt: number;
}

export interface SessionStore {
  current(): Session | undefined;
  /** The token to send, or undefined when logged out or expired. */
  token(): string | undefined;
  set(token: string, user: User, expiresAt: bigint): void;
  clear(): void;
  subscribe(listener: () => void): () => void;
}

const KEY = "grpc-browser-app.session";

/**
 * The login kept for this browser tab (sessionStorage): it survives reloads and ends when the
 * tab closes. Expired tokens are dropped rather than sent.
 */
export function createSessionStore(storage: Storage = sessionStorage, now: () => number = Date.now): SessionStore {
  const listeners = new Set<() => void>();
  let session = read();

  function read(): Session | undefined {
    try {
      const value = JSON.parse(storage.getItem(KEY) ?? "null") as Session | null;
      return value !== null && value.expiresAt > now() ? value : undefined;
    } catch {
      return undefined;
    }
  }

  function changed(next: Session | undefined): void {
    session = next;
    if (next === undefined) storage.removeItem(KEY);
    else storage.setItem(KEY, JSON.stringify(next));
    for (const listener of listeners) listener();
  }

  return {
    current() {
      if (session !== undefined && session.expiresAt <= now()) changed(undefined);
      return session;
    },
    token() {
      return this.current()?.token;
    },
    set(token, user, expiresAt) {
      changed({ token, username: user.username, userId: user.id, expiresAt: Number(expiresAt) });
    },
    clear: () => changed(undefined),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

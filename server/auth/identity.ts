import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";

/** Who is calling, as established from the bearer token (never from the message). */
export type Identity =
  | { kind: "user"; userId: string; username: string; roles: readonly string[] }
  | { kind: "service"; name: string };

export const identityKey = createContextKey<Identity | undefined>(undefined, {
  description: "the authenticated caller",
});

/** The caller of an authenticated method; the auth interceptor guarantees there is one. */
export function callerOf(context: HandlerContext): Identity {
  const identity = context.values.get(identityKey);
  if (identity === undefined) throw new ConnectError("authentication required", Code.Unauthenticated);
  return identity;
}

/** The id that messages from this caller carry (ChatMessage.user_id). */
export function senderId(identity: Identity): string {
  return identity.kind === "user" ? identity.userId : `service:${identity.name}`;
}

/** Role that may see every user's email (set in the database; sign-up gives only "user"). */
export const ADMIN_ROLE = "admin";

/**
 * Whether this caller may see the email of user `userId`: their own, or anyone's for admins
 * and service tokens. Other signed-in users see usernames only.
 */
export function maySeeEmailOf(identity: Identity | undefined, userId: string): boolean {
  if (identity === undefined) return false;
  if (identity.kind === "service") return true;
  return identity.userId === userId || identity.roles.includes(ADMIN_ROLE);
}

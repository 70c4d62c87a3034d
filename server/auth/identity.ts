import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";

/** Who is calling, as established from the bearer token (never from the message). */
export type Identity =
  | { kind: "user"; userId: string; username: string }
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

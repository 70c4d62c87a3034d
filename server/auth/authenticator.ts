import { createHash, timingSafeEqual } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type { UserStore } from "../storage/storage.js";
import type { Identity } from "./identity.js";
import type { TokenSigner } from "./token-signer.js";

export const MISSING_TOKEN_MESSAGE =
  "missing bearer token: send metadata 'authorization: Bearer <token>' (get a token from userservice.UserService/Login)";
export const BAD_TOKEN_MESSAGE = "invalid or expired token: log in again";

export interface AuthenticatorOptions {
  signer: TokenSigner;
  users: UserStore;
  /** Static service tokens (AUTH_TOKENS), as in the gRPC tutorial's auth interceptor. Default: none. */
  serviceTokens?: readonly string[];
}

/** Turns an authorization header into an Identity, or fails with UNAUTHENTICATED. */
export function createAuthenticator({ signer, users, serviceTokens = [] }: AuthenticatorOptions) {
  const digest = (token: string) => createHash("sha256").update(token).digest();
  const services = serviceTokens.map((token, index) => ({ digest: digest(token), name: String(index + 1) }));

  return async function authenticate(authorization: string | null): Promise<Identity> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (match === null) throw new ConnectError(MISSING_TOKEN_MESSAGE, Code.Unauthenticated);
    const token = match[1] as string;
    const presented = digest(token);
    // Compare every static token in constant time so timing reveals none of them.
    const service = services.filter((s) => timingSafeEqual(s.digest, presented))[0];
    if (service !== undefined) return { kind: "service", name: service.name };
    const verified = signer.verify(token);
    const user = verified === undefined ? undefined : await users.get(verified.userId);
    // A user who logged out revoked every token issued until then.
    if (user === undefined || verified!.issuedAt <= user.tokensRevokedAt) throw new ConnectError(BAD_TOKEN_MESSAGE, Code.Unauthenticated);
    return { kind: "user", userId: user.id, username: user.username, roles: user.roles };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;

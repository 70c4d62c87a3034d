import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type LoginResponse, LoginResponseSchema } from "../../gen/userservice/user_service_pb.js";
import { tooMany } from "../limits/retry-info.js";
import type { UserStore } from "../storage/storage.js";
import type { PasswordWork } from "../users/password-work.js";
import { toUser } from "../users/user-directory.js";
import type { LoginThrottle } from "./login-throttle.js";
import type { TokenSigner } from "./token-signer.js";

export const LOGIN_FAILED_MESSAGE = "invalid username or password";

export interface LoginOptions {
  users: UserStore;
  signer: TokenSigner;
  throttle: LoginThrottle;
  passwords: PasswordWork;
}

/** Checks a password and issues a token; says the same thing, equally slowly, for unknown users. */
export function createLogin({ users, signer, throttle, passwords }: LoginOptions) {
  // Unknown usernames are checked against this, so they cost as much time as wrong passwords.
  const decoy = passwords.hash("decoy password that never matches");

  return async function login(username: string, password: string, address: string): Promise<LoginResponse> {
    // Empty, overlong names and passwords never get here: LoginRequest's rules refuse them before
    // anything is held by the throttle or hashed (proto/userservice/rules).
    const waitMs = await throttle.attempt(username, address);
    if (waitMs > 0) throw tooMany("too many login attempts for this username", waitMs);
    const record = await users.findByUsername(username);
    const matches = await passwords.verify(password, record?.passwordHash ?? (await decoy), address);
    if (record === undefined || !matches) throw new ConnectError(LOGIN_FAILED_MESSAGE, Code.Unauthenticated);
    await throttle.recordSuccess(username, address);
    const { token, expiresAt } = signer.sign(record.id);
    return create(LoginResponseSchema, { token, user: toUser(record), expiresAt: BigInt(expiresAt) });
  };
}

export type Login = ReturnType<typeof createLogin>;

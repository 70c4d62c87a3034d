import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type LoginResponse, LoginResponseSchema } from "../../gen/userservice/user_service_pb.js";
import type { UserStore } from "../storage/storage.js";
import { hashPassword, verifyPassword } from "../users/password-hash.js";
import { toUser } from "../users/user-directory.js";
import type { LoginThrottle } from "./login-throttle.js";
import type { TokenSigner } from "./token-signer.js";

export const LOGIN_FAILED_MESSAGE = "invalid username or password";

export interface LoginOptions {
  users: UserStore;
  signer: TokenSigner;
  throttle: LoginThrottle;
}

/** Checks a password and issues a token; says the same thing, equally slowly, for unknown users. */
export function createLogin({ users, signer, throttle }: LoginOptions) {
  // Unknown usernames are checked against this, so they cost as much time as wrong passwords.
  const decoy = hashPassword("decoy password that never matches");

  return async function login(username: string, password: string): Promise<LoginResponse> {
    if (username === "" || password === "") {
      throw new ConnectError("username and password are required", Code.InvalidArgument);
    }
    const delay = throttle.delayFor(username);
    if (delay > 0) await sleep(delay);
    const record = await users.findByUsername(username);
    const matches = await verifyPassword(password, record?.passwordHash ?? (await decoy));
    if (record === undefined || !matches) {
      throttle.recordFailure(username);
      throw new ConnectError(LOGIN_FAILED_MESSAGE, Code.Unauthenticated);
    }
    throttle.recordSuccess(username);
    const { token, expiresAt } = signer.sign(record.id);
    return create(LoginResponseSchema, { token, user: toUser(record), expiresAt: BigInt(expiresAt) });
  };
}

export type Login = ReturnType<typeof createLogin>;

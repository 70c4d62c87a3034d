import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type CreateUserRequest, type User, UserSchema } from "../../gen/userservice/user_service_pb.js";
import { type UserRecord, type UserStore, UniqueViolationError } from "../storage/storage.js";
import { hashPassword } from "./password-hash.js";

/** ListUsers page size when the request says 0. */
export const DEFAULT_PAGE_SIZE = 10;
/** Largest ListUsers page; larger requests are served this many (as AIP-158 advises). */
export const MAX_PAGE_SIZE = 1000;
/** Roles given to every new user. */
export const DEFAULT_ROLES = ["user"];

/**
 * Users as the services see them: creation, lookup and paging. Requests have passed their rules
 * (proto/userservice/rules) before they get here.
 */
export interface UserDirectory {
  /**
   * ALREADY_EXISTS for a taken username or email (emails compare in lower case). `client`
   * (an address or a user) is whom the password hashing counts against.
   */
  create(request: CreateUserRequest, client?: string): Promise<User>;
  /** NOT_FOUND for an unknown id. */
  get(id: string): Promise<User>;
  /** One page in creation order after the user `pageToken`; INVALID_ARGUMENT for a token that is not a user's id. */
  listPage(pageSize: number, pageToken: string): Promise<User[]>;
  /** Ends every session of the user: tokens issued until now stop working. */
  logout(id: string): Promise<void>;
}

export interface UserDirectoryOptions {
  store: UserStore;
  /** Default: scrypt with the default cost. */
  hash?: (password: string, client?: string) => Promise<string>;
  /** Milliseconds since the epoch. Default: Date.now. */
  now?: () => number;
}

export function createUserDirectory({
  store,
  hash = (password) => hashPassword(password),
  now = Date.now,
}: UserDirectoryOptions): UserDirectory {
  return {
    async create(request, client) {
      const record: UserRecord = {
        id: randomUUID(),
        username: request.username,
        email: request.email.toLowerCase(),
        passwordHash: await hash(request.password, client),
        createdAt: now(),
        roles: DEFAULT_ROLES,
        tokensRevokedAt: 0,
      };
      try {
        await store.insert(record);
      } catch (error) {
        if (error instanceof UniqueViolationError) {
          const value = error.field === "username" ? record.username : record.email;
          throw new ConnectError(`${error.field}: "${value}" is already taken`, Code.AlreadyExists);
        }
        throw error;
      }
      return toUser(record);
    },

    async get(id) {
      const record = await store.get(id);
      if (record === undefined) throw new ConnectError(`user "${id}" not found`, Code.NotFound);
      return toUser(record);
    },

    async listPage(pageSize, pageToken) {
      const limit = pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
      if (pageToken !== "" && (await store.get(pageToken)) === undefined) {
        throw new ConnectError(
          `page_token: "${pageToken}" is not the id of a user; pass the id of the last user of the previous page`,
          Code.InvalidArgument,
        );
      }
      const records = await store.list(pageToken === "" ? undefined : pageToken, limit);
      return records.map(toUser);
    },

    logout(id) {
      return store.revokeTokens(id, now());
    },
  };
}

export function toUser(record: UserRecord): User {
  return create(UserSchema, {
    id: record.id,
    username: record.username,
    email: record.email,
    createdAt: BigInt(record.createdAt),
    roles: record.roles,
  });
}

import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import {
  BatchResultSchema,
  ChatMessageSchema,
  type CreateUserRequest,
  CreateUserRequestSchema,
  LoginResponseSchema,
  UserSchema,
  type UserService,
  type User,
} from "../gen/userservice/user_service_pb.js";
import type { Output } from "./output.js";

type Users = Client<typeof UserService>;
interface CallOptions {
  timeoutMs?: number;
}

const describeUser = (user: User) =>
  `${user.id}  ${user.username}  <${user.email}>  created ${new Date(Number(user.createdAt)).toISOString()}  roles ${user.roles.join(",")}`;

export async function createUser(users: Users, out: Output, fields: { username: string; email: string; password: string }, call: CallOptions) {
  const user = await users.createUser(fields, call);
  out.message(UserSchema, user, `created ${describeUser(user)}`);
}

/** Prints the token alone on stdout (or the whole response with --json), so it can be captured. */
export async function login(users: Users, out: Output, fields: { username: string; password: string }, call: CallOptions) {
  const session = await users.login(fields, call);
  out.message(LoginResponseSchema, session, session.token);
}

export async function getUser(users: Users, out: Output, id: string, call: CallOptions) {
  const user = await users.getUser({ id }, call);
  out.message(UserSchema, user, describeUser(user));
}

/** One page, or with `all` every page, following the last id as the next token. */
export async function listUsers(
  users: Users,
  out: Output,
  options: { pageSize: number; pageToken: string; all: boolean },
  call: CallOptions,
) {
  let token = options.pageToken;
  let total = 0;
  for (;;) {
    let last: User | undefined;
    for await (const user of users.listUsers({ pageSize: options.pageSize, pageToken: token }, call)) {
      out.message(UserSchema, user, describeUser(user));
      last = user;
      total++;
    }
    if (!options.all || last === undefined) {
      out.info(last === undefined ? `${total} users` : `${total} users; next page: --page-token ${last.id}`);
      return;
    }
    token = last.id;
  }
}

/**
 * Streams users from a file to BatchCreateUsers: a JSON array, or one JSON object per line,
 * each {"username", "email", "password"}.
 */
export async function batchCreateUsers(users: Users, out: Output, path: string, call: CallOptions) {
  const requests = parseUserFile(await readFile(path, "utf8"), path);
  const result = await users.batchCreateUsers(
    (async function* () {
      yield* requests;
    })(),
    call,
  );
  out.message(
    BatchResultSchema,
    result,
    [`created ${result.created} of ${requests.length}`, ...result.errors.map((e) => `  ${e}`)].join("\n"),
  );
}

export function parseUserFile(text: string, path: string): CreateUserRequest[] {
  const trimmed = text.trim();
  const entries: unknown[] = trimmed.startsWith("[")
    ? (JSON.parse(trimmed) as unknown[])
    : trimmed.split("\n").filter((line) => line.trim() !== "").map((line, index) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          throw new Error(`${path}:${index + 1}: not a JSON object`);
        }
      });
  return entries.map((entry, index) => {
    try {
      return fromJson(CreateUserRequestSchema, entry as JsonValue);
    } catch (error) {
      throw new Error(`${path}: entry ${index}: ${error instanceof Error ? error.message : error}`);
    }
  });
}

/** Sends each line of stdin as a chat message and prints the room's messages until stdin ends. */
export async function chat(users: Users, out: Output, userId: string, call: CallOptions) {
  const lines = createInterface({ input: process.stdin, terminal: false });
  out.info(`chatting as ${userId}; type a line to send it, end with Ctrl-D`);
  const messages = users.chat(
    (async function* () {
      for await (const text of lines) {
        if (text.trim() !== "") yield create(ChatMessageSchema, { userId, text });
      }
    })(),
    call,
  );
  for await (const message of messages) {
    const time = new Date(Number(message.timestamp)).toISOString();
    out.message(ChatMessageSchema, message, `[${time}] ${message.userId}: ${message.text}`);
  }
}

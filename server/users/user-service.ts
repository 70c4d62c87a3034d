import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  BatchResultSchema,
  CreateUserRequestSchema,
  LogoutResponseSchema,
  type User,
  type ChatMessage,
  UserService,
} from "../../gen/userservice/user_service_pb.js";
import type { Login } from "../auth/login.js";
import { callerOf, type Identity, maySeeEmailOf, senderId } from "../auth/identity.js";
import type { ChatRoom } from "../chat/chat-room.js";
import { consumeRequests, streamUntilDone } from "../lib/handler-streams.js";
import { clientAddress, clientKey } from "../limits/client-key.js";
import type { UserDirectory } from "./user-directory.js";
import type { RequestRules } from "../../validation/request-rules.js";
import { describeProblems } from "../../validation/field-problems.js";
import { fieldProblems } from "../../validation/violation-details.js";

export interface UserServiceDeps {
  users: UserDirectory;
  room: ChatRoom;
  login: Login;
  /** The request rules; BatchCreateUsers checks each request with them itself (see BATCH_METHOD). */
  rules: RequestRules;
}

/** The method whose streamed requests the validation interceptor leaves to the handler. */
export const BATCH_METHOD = `${UserService.typeName}/${UserService.method.batchCreateUsers.name}`;

/** userservice.UserService. */
export function createUserService({ users, room, login, rules }: UserServiceDeps): ServiceImpl<typeof UserService> {
  return {
    async getUser(request, context) {
      return visibleTo(callerOf(context), await users.get(request.id));
    },

    createUser(request, context) {
      return users.create(request, clientAddress(context.values));
    },

    async *listUsers(request, context) {
      const caller = callerOf(context);
      for (const user of await users.listPage(request.pageSize, request.pageToken)) yield visibleTo(caller, user);
    },

    async batchCreateUsers(requests, context) {
      let created = 0;
      let position = 0;
      const errors: string[] = [];
      // An invalid request is reported and skipped rather than failing the batch, so the
      // validation interceptor leaves these messages to this handler.
      await consumeRequests(requests, context, async (request) => {
        const violations = rules.check(CreateUserRequestSchema, request);
        if (violations.length > 0) {
          errors.push(`request ${position++}: ${describeProblems(fieldProblems(violations))}`);
          return;
        }
        try {
          await users.create(request, clientKey(context.values));
          created++;
        } catch (error) {
          if (!isRejection(error)) throw error;
          errors.push(`request ${position}: ${error.rawMessage}`);
        }
        position++;
      });
      return create(BatchResultSchema, { created, errors });
    },

    login(request, context) {
      return login(request.username, request.password, clientAddress(context.values));
    },

    async logout(_request, context) {
      const caller = callerOf(context);
      if (caller.kind !== "user") {
        throw new ConnectError("only user tokens can log out; service tokens are revoked by removing them from AUTH_TOKENS", Code.FailedPrecondition);
      }
      await users.logout(caller.userId);
      return create(LogoutResponseSchema, {});
    },

    /**
     * Every message from any participant reaches every open Chat stream and subscriber, the
     * sender included, with user_id set from the caller's token. The response ends when the
     * client ends its requests.
     */
    chat(messages, context) {
      const sender = senderId(callerOf(context));
      return streamUntilDone<ChatMessage>(context, (outgoing) => {
        const unsubscribe = room.subscribe((message) => outgoing.push(message), outgoing.fail);
        consumeRequests(messages, context, async (message) => {
          await room.post(sender, message.text);
        }).then(
          () => outgoing.end(),
          (error) => outgoing.fail(error),
        );
        return unsubscribe;
      });
    },
  };
}

/** A per-request refusal that a batch reports and moves past, as opposed to a server fault. */
function isRejection(error: unknown): error is ConnectError {
  return (
    error instanceof ConnectError &&
    (error.code === Code.InvalidArgument || error.code === Code.AlreadyExists)
  );
}

/** The user as this caller may see it: without the email unless it is theirs or they may see all. */
function visibleTo(caller: Identity, user: User): User {
  return maySeeEmailOf(caller, user.id) ? user : { ...user, email: "" };
}

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  BatchResultSchema,
  type ChatMessage,
  UserService,
} from "../../gen/userservice/user_service_pb.js";
import type { Login } from "../auth/login.js";
import { callerOf, senderId } from "../auth/identity.js";
import type { ChatRoom } from "../chat/chat-room.js";
import { consumeRequests, streamUntilDone } from "../lib/handler-streams.js";
import type { UserDirectory } from "./user-directory.js";

export interface UserServiceDeps {
  users: UserDirectory;
  room: ChatRoom;
  login: Login;
}

/** userservice.UserService. */
export function createUserService({ users, room, login }: UserServiceDeps): ServiceImpl<typeof UserService> {
  return {
    getUser(request) {
      return users.get(request.id);
    },

    createUser(request) {
      return users.create(request);
    },

    async *listUsers(request) {
      yield* await users.listPage(request.pageSize, request.pageToken);
    },

    async batchCreateUsers(requests, context) {
      let created = 0;
      let position = 0;
      const errors: string[] = [];
      await consumeRequests(requests, context, async (request) => {
        try {
          await users.create(request);
          created++;
        } catch (error) {
          if (!isRejection(error)) throw error;
          errors.push(`request ${position}: ${error.rawMessage}`);
        }
        position++;
      });
      return create(BatchResultSchema, { created, errors });
    },

    login(request) {
      return login(request.username, request.password);
    },

    /**
     * Every message from any participant reaches every open Chat stream and subscriber, the
     * sender included, with user_id set from the caller's token. The response ends when the
     * client ends its requests.
     */
    chat(messages, context) {
      const sender = senderId(callerOf(context));
      return streamUntilDone<ChatMessage>(context, (outgoing) => {
        const unsubscribe = room.subscribe((message) => outgoing.push(message));
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

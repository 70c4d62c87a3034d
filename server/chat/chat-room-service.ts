import type { ServiceImpl } from "@connectrpc/connect";
import { ChatRoomService } from "../../gen/userservice/chat_room_pb.js";
import type { ChatMessage } from "../../gen/userservice/user_service_pb.js";
import { streamUntilDone } from "../lib/handler-streams.js";
import { callerOf, senderId } from "../auth/identity.js";
import type { ChatRoom } from "./chat-room.js";

/** Browser companions of UserService.Chat: subscribe (server stream) and post (unary). */
export function createChatRoomService({ room }: { room: ChatRoom }): ServiceImpl<typeof ChatRoomService> {
  return {
    subscribe(_request, context) {
      return streamUntilDone<ChatMessage>(context, (outgoing) =>
        room.subscribe((message) => outgoing.push(message), outgoing.fail),
      );
    },

    /** The sender is the authenticated caller; the message's own user_id is ignored. */
    post(message, context) {
      return room.post(senderId(callerOf(context)), message.text);
    },
  };
}

import type { ServiceImpl } from "@connectrpc/connect";
import { ChatRoomService } from "../../gen/userservice/chat_room_pb.js";
import { create } from "@bufbuild/protobuf";
import { type ChatMessage, ChatMessageSchema } from "../../gen/userservice/user_service_pb.js";
import { startHeartbeats, streamUntilDone } from "../lib/handler-streams.js";
import { callerOf, senderId } from "../auth/identity.js";
import type { ChatRoom } from "./chat-room.js";

/** What a heartbeat looks like on the wire: an empty ChatMessage. */
export const CHAT_HEARTBEAT: ChatMessage = create(ChatMessageSchema, {});

export interface ChatRoomServiceOptions {
  room: ChatRoom;
  /** Interval between heartbeats on streams that ask for them. Default: 15,000 ms. */
  heartbeatMs?: number;
}

/** Browser companions of UserService.Chat: subscribe (server stream) and post (unary). */
export function createChatRoomService({ room, heartbeatMs = 15_000 }: ChatRoomServiceOptions): ServiceImpl<typeof ChatRoomService> {
  return {
    subscribe(request, context) {
      return streamUntilDone<ChatMessage>(context, (outgoing) => {
        // First, so that a client sees the stream open before anyone speaks.
        const stopHeartbeats = request.heartbeats ? startHeartbeats(outgoing, CHAT_HEARTBEAT, heartbeatMs) : undefined;
        const unsubscribe = room.subscribe((message) => outgoing.push(message), outgoing.fail);
        return () => {
          stopHeartbeats?.();
          unsubscribe();
        };
      });
    },

    /** The sender is the authenticated caller; the message's own user_id is ignored. */
    post(message, context) {
      return room.post(senderId(callerOf(context)), message.text);
    },
  };
}

import { create } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { type ChatMessage, ChatMessageSchema } from "../../gen/userservice/user_service_pb.js";
import type { LiveHub } from "../hub/live-hub.js";

/** The one chat room shared by Chat streams and browser subscribers. Messages are live only. */
export interface ChatRoom {
  /**
   * Stamps with the sender and the server's time, and delivers to every subscriber. The text has
   * passed ChatMessage's rules (proto/userservice/rules) on its way in.
   */
  post(senderId: string, text: string): Promise<ChatMessage>;
  /** Returns the function that unsubscribes; `onLost` as in LiveHub.subscribe. */
  subscribe(listener: (message: ChatMessage) => void, onLost?: (error: ConnectError) => void): () => void;
}

export interface ChatRoomOptions {
  hub: LiveHub<ChatMessage>;
  /** Milliseconds since the epoch. Default: Date.now. */
  now?: () => number;
}

export function createChatRoom({ hub, now = Date.now }: ChatRoomOptions): ChatRoom {
  return {
    async post(senderId, text) {
      const delivered = create(ChatMessageSchema, { userId: senderId, text, timestamp: BigInt(now()) });
      await hub.publish(delivered);
      return delivered;
    },
    subscribe(listener, onLost) {
      return hub.subscribe(listener, onLost);
    },
  };
}

import { useCallback, useEffect, useState } from "react";
import type { ChatMessage } from "../../../gen/userservice/user_service_pb";
import { useApi } from "../api/api-context";
import { type LinkStatus, runLiveStream, withLinkStatus } from "../api/live-stream";

/** Messages kept on the page; older ones scroll away for good (chat is live only, never stored). */
const KEEP = 200;

export interface ChatRoomState extends LinkStatus {
  messages: readonly ChatMessage[];
  /** Posts as the signed-in user (the server takes the sender from the token). */
  post(text: string): Promise<void>;
}

const keyOf = (message: ChatMessage) => `${message.userId}\u0000${message.timestamp}\u0000${message.text}`;

/**
 * UserService.Chat for browsers: ChatRoomService.Subscribe (with heartbeats, reconnecting like
 * RouteChat's notes) and Post. Messages are live only, so those sent while the link is down are
 * not replayed. Only while signed in: the room needs a login.
 */
export function useChatRoom(signedIn: boolean): ChatRoomState {
  const api = useApi();
  const [state, setState] = useState<Omit<ChatRoomState, "post">>({ messages: [], link: "connecting" });
  // The sender gets their message both as Post's answer and from the stream: show it once.
  const remember = useCallback((message: ChatMessage) => {
    const key = keyOf(message);
    setState((previous) =>
      previous.messages.some((shown) => keyOf(shown) === key) ? previous : { ...previous, messages: [...previous.messages, message].slice(-KEEP) },
    );
  }, []);

  useEffect(() => {
    if (!signedIn) {
      setState({ messages: [], link: "stopped" });
      return;
    }
    const controller = new AbortController();
    void runLiveStream({
      open: (signal) => api.chatRoom.subscribe({ heartbeats: true }, { signal }),
      isHeartbeat: (message) => message.userId === "" && message.text === "",
      deliver: remember,
      status: (change) => setState((previous) => withLinkStatus(previous, change)),
      signal: controller.signal,
    });
    return () => controller.abort();
  }, [api, signedIn, remember]);

  const post = useCallback(
    async (text: string) => {
      remember(await api.chatRoom.post({ text }));
    },
    [api, remember],
  );

  return { ...state, post };
}

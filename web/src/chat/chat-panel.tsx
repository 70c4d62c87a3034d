import { useQuery } from "@connectrpc/connect-query";
import { type FormEvent, useId, useState } from "react";
import { ChatMessageSchema, UserService } from "../../../gen/userservice/user_service_pb";
import { useSession } from "../api/api-context";
import { describeError } from "../ui/describe-error";
import { useFieldProblem } from "../ui/field-problem";
import { preloadRules } from "../ui/form-problems";
import { useCheckedSend } from "../ui/use-checked-send";
import { LinkIndicator } from "../ui/link-indicator";
import { useChatRoom } from "./use-chat-room";

/**
 * The chat room of UserService.Chat, through its browser companions: every message from browsers
 * and native Chat clients, live, with the sender's name and the time. Needs a login; the sender
 * is always the signed-in user.
 */
export function ChatPanel() {
  const session = useSession();
  const room = useChatRoom(session !== undefined);
  const [draft, setDraft] = useState("");
  const sending = useCheckedSend();
  const inputId = useId();
  const textProblem = useFieldProblem(sending.problems, "text");

  async function send(event: FormEvent) {
    event.preventDefault();
    const text = draft.trim();
    const sent = draft;
    // On failure the draft stays, so nothing typed is lost; nor is what was typed while it was sent.
    if (await sending.send(ChatMessageSchema, { text }, () => room.post(text))) setDraft((current) => (current === sent ? "" : current));
  }

  return (
    <section className="panel" aria-labelledby="chat-room-heading" id="chat">
      <h2 id="chat-room-heading">Chat room</h2>
      {session === undefined ? (
        <p className="hint" data-testid="chat-login-needed">
          Log in to chat. Everyone signed in, in browsers and in native <code>Chat</code> clients, shares one room.
        </p>
      ) : (
        <>
          <p className="chat-place">
            As <strong>{session.username}</strong> <LinkIndicator status={room} testId="chat-link-state" />
          </p>
          {room.error !== undefined && room.link !== "live" && <p className="error">{describeError(room.error)}</p>}
          <ol className="notes chat-messages" role="log" aria-label="Chat messages" aria-live="polite" data-testid="chat-messages">
            {room.messages.length === 0 && <li className="hint">No messages since you came in.</li>}
            {room.messages.map((message, index) => (
              <li key={`${String(message.timestamp)}-${index}`} data-sender={message.userId}>
                <Sender userId={message.userId} self={message.userId === session.userId} />
                <span className="note-text">{message.text}</span>
                <time dateTime={new Date(Number(message.timestamp)).toISOString()}>{new Date(Number(message.timestamp)).toLocaleTimeString()}</time>
              </li>
            ))}
          </ol>
          <form className="toolbar" onSubmit={send} onFocus={preloadRules} noValidate aria-label="Send a chat message">
            <label htmlFor={inputId}>Message</label>
            <input id={inputId} value={draft} onChange={(event) => (setDraft(event.target.value), sending.clearProblems())} {...textProblem.input} />
            {textProblem.message}
            <button type="submit" disabled={sending.paused}>
              Send
            </button>
          </form>
          {sending.error !== undefined && (
            <p role="alert" className="error">
              Not sent: {describeError(sending.error)}
            </p>
          )}
        </>
      )}
    </section>
  );
}

/** The sender's username (GetUser, cached by connect-query), or the id while it loads or for service tokens. */
function Sender({ userId, self }: { userId: string; self: boolean }) {
  const isUser = !userId.startsWith("service:");
  const user = useQuery(UserService.method.getUser, { id: userId }, { enabled: isUser });
  return (
    <strong className="sender" data-testid="chat-sender">
      {user.data?.username ?? userId}
      {self && " (you)"}
    </strong>
  );
}


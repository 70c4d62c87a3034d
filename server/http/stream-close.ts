/**
 * One "close" listener per HTTP/2 stream, the transport's: one-port-server.ts counts each
 * session's open streams with it, and relays the close to the call path that claimed the
 * stream. Node keeps one listener of an event as a function and more as an array, copied on
 * every removal: the request reader's and the call's own "close" listeners (and the reader's
 * "error" one), each added and removed per call, cost about 5% of a unary gRPC call's
 * instructions (bench/RESULTS.md, "Issue 13, eighth stop").
 *
 * A target whose close is not relayed (an HTTP/1.1 request or response, a stream of a server
 * that does not relay) gets a listener of its own, as before.
 */
export interface Closable {
  on(event: "close", listener: () => void): unknown;
  removeListener(event: "close", listener: () => void): unknown;
}

const relaying = Symbol("relays its streams' close");
const onClose = Symbol("relayed close listener");

type MaybeRelayed = Closable & { session?: { [relaying]?: true } | undefined; [onClose]?: (() => void) | undefined };

/** The transport: marks a session whose streams' "close" it listens to and relays (relayClose). */
export function relayStreamCloses(session: object): void {
  (session as { [relaying]?: true })[relaying] = true;
}

/** The transport's "close" listener: passes the close on to the listener watchClose left, if any. */
export function relayClose(stream: object): void {
  const target = stream as MaybeRelayed;
  const listener = target[onClose];
  if (listener === undefined) return;
  target[onClose] = undefined;
  listener();
}

/** Whether `target` is a stream whose "close" its transport relays: "error" is then always followed by a relayed close. */
export function closeIsRelayed(target: object): boolean {
  return (target as MaybeRelayed).session?.[relaying] === true;
}

/**
 * Calls `listener` when `target` closes: through the transport's listener if it relays the
 * stream's close and no other listener waits there, else through a "close" listener of its own.
 */
export function watchClose(target: Closable, listener: () => void): void {
  const holder = target as MaybeRelayed;
  if (closeIsRelayed(target) && holder[onClose] === undefined) holder[onClose] = listener;
  else target.on("close", listener);
}

/** Stops watchClose's watch of `target` for `listener`. */
export function unwatchClose(target: Closable, listener: () => void): void {
  const holder = target as MaybeRelayed;
  if (holder[onClose] === listener) holder[onClose] = undefined;
  else target.removeListener("close", listener);
}

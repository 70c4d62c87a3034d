import { Code, ConnectError } from "@connectrpc/connect";
import { reconnectDelay, sleep } from "../route-chat/backoff";

export type LinkState = "connecting" | "live" | "reconnecting" | "stopped";

export interface LinkStatus {
  link: LinkState;
  /** When link is "reconnecting": the wait before the next attempt, in ms. */
  retryInMs?: number;
  /** The last failure, shown while reconnecting or stopped. */
  error?: unknown;
}

export interface LiveStreamOptions<T> {
  /** Opens one attempt's stream; called again after each failure (it can resume where the last one stopped). */
  open(signal: AbortSignal): AsyncIterable<T>;
  /** Heartbeats show the stream is open; they are not delivered. */
  isHeartbeat(message: T): boolean;
  deliver(message: T): void;
  status(change: (previous: LinkStatus) => LinkStatus): void;
  /** Ends the stream for good (the component went away, or its subject changed). */
  signal: AbortSignal;
}

/** Heartbeats come every 15 s: after this long without one, the connection is presumed dead. */
const IDLE_TIMEOUT_MS = 40_000;

/** Failures that another attempt cannot fix. */
const PERMANENT = new Set([Code.InvalidArgument, Code.Unauthenticated, Code.PermissionDenied, Code.Unimplemented]);

/**
 * Keeps a server stream with heartbeats open: "live" from the first message (a heartbeat comes at
 * once), reconnecting with backoff (or as long as a RetryInfo detail asks) when it breaks or goes
 * quiet for too long, "stopped" on failures another attempt cannot fix.
 */
export async function runLiveStream<T>({ open, isHeartbeat, deliver, status, signal }: LiveStreamOptions<T>): Promise<void> {
  for (let attempt = 0; !signal.aborted; ) {
    status((previous) => ({ ...previous, link: attempt === 0 ? "connecting" : previous.link }));
    // Each attempt has its own signal, so the idle watchdog can end just this attempt.
    const attemptController = new AbortController();
    const endAttempt = () => attemptController.abort();
    signal.addEventListener("abort", endAttempt);
    let idle = setTimeout(endAttempt, IDLE_TIMEOUT_MS);
    try {
      for await (const message of open(attemptController.signal)) {
        clearTimeout(idle);
        idle = setTimeout(endAttempt, IDLE_TIMEOUT_MS);
        const heartbeat = isHeartbeat(message);
        if (attempt !== 0 || heartbeat) {
          attempt = 0;
          status((previous) => (previous.link === "live" ? previous : { link: "live" }));
        }
        if (!heartbeat) deliver(message);
      }
      if (signal.aborted) return;
      throw new ConnectError("the server ended the stream", Code.Unavailable);
    } catch (caught) {
      if (signal.aborted) return;
      const error = attemptController.signal.aborted ? new ConnectError("no message or heartbeat for too long", Code.Unavailable) : caught;
      if (PERMANENT.has(ConnectError.from(error).code)) {
        status(() => ({ link: "stopped", error }));
        return;
      }
      const delay = reconnectDelay(attempt++, error);
      status(() => ({ link: "reconnecting", retryInMs: delay, error }));
      await sleep(delay, signal);
    } finally {
      clearTimeout(idle);
      signal.removeEventListener("abort", endAttempt);
    }
  }
}

/** A state holding a LinkStatus, with the status replaced (retryInMs and error go when the new status has none). */
export function withLinkStatus<S extends LinkStatus>(previous: S, change: (previous: LinkStatus) => LinkStatus): S {
  const next = change(previous);
  return { ...previous, link: next.link, retryInMs: next.retryInMs, error: next.error };
}

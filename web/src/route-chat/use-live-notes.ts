import { Code, ConnectError } from "@connectrpc/connect";
import { useCallback, useEffect, useRef, useState } from "react";
import type { Point } from "../../../gen/routeguide/route_guide_pb";
import type { StoredNote } from "../../../gen/routeguide/route_notes_pb";
import { useApi } from "../api/api-context";
import { pointKey } from "../route-guide/map-projection";
import { reconnectDelay, sleep } from "./backoff";

export type LinkState = "connecting" | "live" | "reconnecting" | "stopped";

export interface LiveNotes {
  notes: readonly StoredNote[];
  link: LinkState;
  /** When link is "reconnecting": the wait before the next attempt, in ms. */
  retryInMs?: number;
  /** The last failure, shown while reconnecting or stopped. */
  error?: unknown;
  post(message: string): Promise<void>;
}

/** Heartbeats come every 15 s: after this long without one, the connection is presumed dead. */
const IDLE_TIMEOUT_MS = 40_000;

/** Failures that another attempt cannot fix. */
const PERMANENT = new Set([Code.InvalidArgument, Code.Unauthenticated, Code.PermissionDenied, Code.Unimplemented]);

/**
 * History, then live notes, for one location (SubscribeNotes). When the stream breaks (server
 * restart, network) it reconnects with backoff and asks only for notes after the last id seen,
 * so nothing is missed and nothing shows twice. Switching protocol resubscribes the same way.
 * Heartbeats (id 0) show that the stream is open, and their absence that it silently died.
 */
export function useLiveNotes(location: Point): LiveNotes {
  const api = useApi();
  const key = pointKey(location);
  const notes = useRef({ key, byId: new Map<bigint, StoredNote>() });
  if (notes.current.key !== key) notes.current = { key, byId: new Map() };
  const [state, setState] = useState<Omit<LiveNotes, "post">>({ notes: [], link: "connecting" });

  const publish = useCallback(() => {
    const sorted = [...notes.current.byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    setState((previous) => ({ ...previous, notes: sorted }));
  }, []);

  const remember = useCallback(
    (note: StoredNote) => {
      if (notes.current.byId.has(note.id)) return;
      notes.current.byId.set(note.id, note);
      publish();
    },
    [publish],
  );

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    publish();
    void (async () => {
      for (let attempt = 0; !signal.aborted; ) {
        setState((previous) => ({ ...previous, link: attempt === 0 ? "connecting" : previous.link }));
        // Each attempt has its own signal, so the idle watchdog can end just this attempt.
        const attemptController = new AbortController();
        const endAttempt = () => attemptController.abort();
        signal.addEventListener("abort", endAttempt);
        let idle = setTimeout(endAttempt, IDLE_TIMEOUT_MS);
        try {
          const afterId = [...notes.current.byId.keys()].reduce((max, id) => (id > max ? id : max), 0n);
          const stream = api.routeNotes.subscribeNotes(
            { scope: { case: "location", value: location }, afterId, heartbeats: true },
            { signal: attemptController.signal },
          );
          for await (const note of stream) {
            clearTimeout(idle);
            idle = setTimeout(endAttempt, IDLE_TIMEOUT_MS);
            if (attempt !== 0 || note.id === 0n) {
              attempt = 0;
              setState((previous) => (previous.link === "live" ? previous : { ...previous, link: "live", error: undefined, retryInMs: undefined }));
            }
            if (note.id !== 0n) remember(note); // id 0: a heartbeat
          }
          if (signal.aborted) return;
          throw new ConnectError("the server ended the stream", Code.Unavailable);
        } catch (caught) {
          if (signal.aborted) return;
          const error = attemptController.signal.aborted ? new ConnectError("no message or heartbeat for too long", Code.Unavailable) : caught;
          if (PERMANENT.has(ConnectError.from(error).code)) {
            setState((previous) => ({ ...previous, link: "stopped", error }));
            return;
          }
          const delay = reconnectDelay(attempt++, error);
          setState((previous) => ({ ...previous, link: "reconnecting", retryInMs: delay, error }));
          await sleep(delay, signal);
        } finally {
          clearTimeout(idle);
          signal.removeEventListener("abort", endAttempt);
        }
      }
    })();
    return () => controller.abort();
    // location is identified by key; api changes when the protocol does (resubscribe after the last id).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key, publish, remember]);

  const post = useCallback(
    async (message: string) => {
      remember(await api.routeNotes.postNote({ location, message }));
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, key, remember],
  );

  return { ...state, post };
}

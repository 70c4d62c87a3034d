import { useCallback, useEffect, useRef, useState } from "react";
import type { Point } from "../../../gen/routeguide/route_guide_pb";
import type { StoredNote } from "../../../gen/routeguide/route_notes_pb";
import { useApi } from "../api/api-context";
import { pointKey } from "../route-guide/map-projection";
import { type LinkStatus, runLiveStream, withLinkStatus } from "../api/live-stream";

export interface LiveNotes extends LinkStatus {
  notes: readonly StoredNote[];
  post(message: string): Promise<void>;
}

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
    publish();
    void runLiveStream({
      open: (signal) => {
        const afterId = [...notes.current.byId.keys()].reduce((max, id) => (id > max ? id : max), 0n);
        return api.routeNotes.subscribeNotes({ scope: { case: "location", value: location }, afterId, heartbeats: true }, { signal });
      },
      isHeartbeat: (note) => note.id === 0n,
      deliver: remember,
      status: (change) => setState((previous) => withLinkStatus(previous, change)),
      signal: controller.signal,
    });
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

import { useCallback, useRef, useState } from "react";
import type { Point, RouteSummary } from "../../../gen/routeguide/route_guide_pb";
import { useApi } from "../api/api-context";

export interface RouteRecording {
  points: readonly Point[];
  status: "drawing" | "sending" | "done" | "error";
  summary?: RouteSummary;
  error?: unknown;
  add(point: Point): void;
  undo(): void;
  clear(): void;
  /** Sends the route (RouteRecordingService.RecordRoute, RecordRoute's browser companion). */
  send(): void;
}

/** A route drawn point by point, then summed up by the server. Editing the route drops the old summary. */
export function useRouteRecording(): RouteRecording {
  const api = useApi();
  const [state, setState] = useState<Pick<RouteRecording, "points" | "status" | "summary" | "error">>({ points: [], status: "drawing" });
  const sending = useRef<AbortController | undefined>(undefined);
  // The points as last rendered, for send (which must not call the API inside a state update).
  const latest = useRef<readonly Point[]>(state.points);
  latest.current = state.points;

  const edit = useCallback((change: (points: readonly Point[]) => readonly Point[]) => {
    sending.current?.abort();
    setState((previous) => ({ points: change(previous.points), status: "drawing" }));
  }, []);

  const send = useCallback(() => {
    sending.current?.abort();
    const controller = new AbortController();
    sending.current = controller;
    setState((previous) => ({ points: previous.points, status: "sending" }));
    api.routeRecording.recordRoute({ points: [...latest.current] }, { signal: controller.signal }).then(
      (summary) => !controller.signal.aborted && setState((current) => ({ ...current, status: "done", summary })),
      (error: unknown) => !controller.signal.aborted && setState((current) => ({ ...current, status: "error", error })),
    );
  }, [api]);

  return {
    ...state,
    add: useCallback((point: Point) => edit((points) => [...points, point]), [edit]),
    undo: useCallback(() => edit((points) => points.slice(0, -1)), [edit]),
    clear: useCallback(() => edit(() => []), [edit]),
    send,
  };
}

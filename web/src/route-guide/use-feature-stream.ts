import { useCallback, useEffect, useRef, useState } from "react";
import type { Feature, Rectangle } from "../../../gen/routeguide/route_guide_pb";
import { useApi } from "../api/api-context";

export interface FeatureStream {
  features: readonly Feature[];
  status: "idle" | "streaming" | "done" | "error";
  error?: unknown;
  stream(rectangle: Rectangle): void;
}

/** ListFeatures for a rectangle; features appear as they arrive, and a new rectangle cancels the old stream. */
export function useFeatureStream(): FeatureStream {
  const api = useApi();
  const [state, setState] = useState<Omit<FeatureStream, "stream">>({ features: [], status: "idle" });
  const running = useRef<AbortController | undefined>(undefined);

  const stream = useCallback(
    (rectangle: Rectangle) => {
      running.current?.abort();
      const controller = new AbortController();
      running.current = controller;
      setState({ features: [], status: "streaming" });
      void (async () => {
        try {
          for await (const feature of api.routeGuide.listFeatures(rectangle, { signal: controller.signal })) {
            setState((previous) => ({ ...previous, features: [...previous.features, feature] }));
          }
          setState((previous) => ({ ...previous, status: "done" }));
        } catch (error) {
          if (!controller.signal.aborted) setState((previous) => ({ ...previous, status: "error", error }));
        }
      })();
    },
    [api],
  );

  useEffect(() => () => running.current?.abort(), []);
  return { ...state, stream };
}

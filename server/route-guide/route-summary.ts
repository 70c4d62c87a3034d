import { create } from "@bufbuild/protobuf";
import { type Point, type RouteSummary, RouteSummarySchema } from "../../gen/routeguide/route_guide_pb.js";
import type { FeatureDb } from "./feature-db.js";
import { distanceMetres } from "./geo.js";

const MAX_INT32 = 2 ** 31 - 1;

/** A route summed up point by point, as RecordRoute and its browser companion both do it. */
export interface RouteSummarizer {
  add(point: Point): void;
  /** The summary so far; elapsed_time counts whole seconds since the summarizer was created. */
  summary(): RouteSummary;
}

export function createRouteSummarizer(features: FeatureDb, now: () => number = () => performance.now()): RouteSummarizer {
  const startedAt = now();
  let pointCount = 0;
  let featureCount = 0;
  let distance = 0;
  let previous: Point | undefined;
  return {
    add(point) {
      pointCount++;
      if (features.isKnown(point)) featureCount++;
      if (previous !== undefined) distance += distanceMetres(previous, point);
      previous = point;
    },
    summary() {
      return create(RouteSummarySchema, {
        pointCount,
        featureCount,
        distance: Math.min(distance, MAX_INT32),
        elapsedTime: Math.trunc((now() - startedAt) / 1000),
      });
    },
  };
}

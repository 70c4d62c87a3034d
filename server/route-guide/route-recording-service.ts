import type { ServiceImpl } from "@connectrpc/connect";
import { RouteRecordingService } from "../../gen/routeguide/route_recording_pb.js";
import type { FeatureDb } from "./feature-db.js";
import { createRouteSummarizer } from "./route-summary.js";

/** The browser companion of RecordRoute: the whole route in one request, summed up by the same code. */
export function createRouteRecordingService({ features }: { features: FeatureDb }): ServiceImpl<typeof RouteRecordingService> {
  return {
    recordRoute({ points }) {
      const route = createRouteSummarizer(features);
      for (const point of points) route.add(point);
      return route.summary();
    },
  };
}

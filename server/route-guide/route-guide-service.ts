import { randomUUID } from "node:crypto";
import type { ServiceImpl } from "@connectrpc/connect";
import { RouteGuide, type RouteNote } from "../../gen/routeguide/route_guide_pb.js";
import { consumeRequests, streamUntilDone } from "../lib/handler-streams.js";
import type { FeatureDb } from "./feature-db.js";
import { pointBounds, rectangleBounds, requiredPoint } from "./geo.js";
import { createRouteSummarizer } from "./route-summary.js";
import type { NoteBoard } from "./note-board.js";

export interface RouteGuideDeps {
  features: FeatureDb;
  board: NoteBoard;
}

/**
 * routeguide.RouteGuide, with the semantics of the canonical example servers. Requests have
 * passed their rules (proto/routeguide/rules) before they get here: points lie on the globe,
 * rectangles have both corners, notes a location and a message.
 */
export function createRouteGuideService({ features, board }: RouteGuideDeps): ServiceImpl<typeof RouteGuide> {
  return {
    getFeature(point) {
      return features.featureAt(point);
    },

    async *listFeatures(rectangle) {
      yield* features.featuresIn(rectangleBounds(rectangle));
    },

    async recordRoute(points) {
      const route = createRouteSummarizer(features);
      for await (const point of points) route.add(point);
      return route.summary();
    },

    /**
     * For each note: send the earlier notes at its location (oldest first, from anyone), record
     * it, and from then on stream other clients' new notes at every location posted to. The
     * response ends when the client ends its requests, as canonical clients expect.
     */
    routeChat(notes, context) {
      return streamUntilDone<RouteNote>(context, (outgoing) => {
        const originId = randomUUID();
        const feed = board.openFeed({ originId, deliver: (stored) => outgoing.push(stored.note!), drained: outgoing.drained, onLost: outgoing.fail });
        consumeRequests(notes, context, async (note) => {
          await feed.replayAndWatch(pointBounds(requiredPoint(note.location, "location")));
          await board.post(note, originId);
        }).then(
          () => outgoing.end(),
          (error) => outgoing.fail(error),
        );
        return feed.close;
      });
    },
  };
}

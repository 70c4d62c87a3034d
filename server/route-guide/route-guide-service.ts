import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type Point,
  RouteGuide,
  type RouteNote,
  RouteSummarySchema,
} from "../../gen/routeguide/route_guide_pb.js";
import { consumeRequests, streamUntilDone } from "../lib/handler-streams.js";
import type { FeatureDb } from "./feature-db.js";
import { distanceMetres, pointBounds, rectangleBounds, requiredPoint } from "./geo.js";
import type { NoteBoard } from "./note-board.js";

const MAX_INT32 = 2 ** 31 - 1;

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
      const startedAt = performance.now();
      let pointCount = 0;
      let featureCount = 0;
      let distance = 0;
      let previous: Point | undefined;
      for await (const point of points) {
        pointCount++;
        if (features.isKnown(point)) featureCount++;
        if (previous !== undefined) distance += distanceMetres(previous, point);
        previous = point;
      }
      return create(RouteSummarySchema, {
        pointCount,
        featureCount,
        distance: Math.min(distance, MAX_INT32),
        elapsedTime: Math.trunc((performance.now() - startedAt) / 1000),
      });
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

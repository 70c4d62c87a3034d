import { create } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import {
  FeatureSchema,
  type Point,
  PointSchema,
  RouteGuide,
  RouteNoteSchema,
  RouteSummarySchema,
} from "../gen/routeguide/route_guide_pb.js";
import { loadFeatureDb } from "../server/route-guide/feature-db.js";
import type { Output } from "./output.js";

const point = (latitude: number, longitude: number) => create(PointSchema, { latitude, longitude });
const degrees = (p: Point | undefined) => `${(p?.latitude ?? 0) / 1e7}, ${(p?.longitude ?? 0) / 1e7}`;

/** The four calls of the classic route guide client, in the same order and with the same inputs. */
export async function runRouteGuideScenario(
  client: Client<typeof RouteGuide>,
  out: Output,
  options: { timeoutMs?: number; routeLength?: number; bidi: boolean },
): Promise<void> {
  const call = { timeoutMs: options.timeoutMs };

  out.info("-------------- GetFeature --------------");
  for (const p of [point(409146138, -746188906), point(0, 0)]) {
    const feature = await client.getFeature(p, call);
    out.message(FeatureSchema, feature, feature.name ? `Found feature called "${feature.name}" at ${degrees(feature.location)}` : `Found no feature at ${degrees(feature.location)}`);
  }

  out.info("-------------- ListFeatures --------------");
  const rectangle = { lo: point(400000000, -750000000), hi: point(420000000, -730000000) };
  out.info(`Looking for features between 40, -75 and 42, -73`);
  for await (const feature of client.listFeatures(rectangle, call)) {
    out.message(FeatureSchema, feature, `Feature called "${feature.name}" at ${degrees(feature.location)}`);
  }

  out.info("-------------- RecordRoute --------------");
  const features = loadFeatureDb().all;
  const route = Array.from({ length: options.routeLength ?? 10 }, () => features[Math.floor(Math.random() * features.length)]!.location!);
  const summary = await client.recordRoute(
    (async function* () {
      for (const p of route) {
        out.info(`Visiting point ${degrees(p)}`);
        yield p;
      }
    })(),
    call,
  );
  out.message(
    RouteSummarySchema,
    summary,
    `Finished trip with ${summary.pointCount} points\nPassed ${summary.featureCount} features\nTravelled ${summary.distance} meters\nIt took ${summary.elapsedTime} seconds`,
  );

  out.info("-------------- RouteChat --------------");
  if (!options.bidi) {
    out.info("skipped: RouteChat streams both ways at once, which needs HTTP/2 (drop --http-version 1.1)");
    return;
  }
  const notes = [
    ["First message", 0, 1],
    ["Second message", 0, 2],
    ["Third message", 0, 3],
    ["Fourth message", 0, 1],
    ["Fifth message", 0, 2],
    ["Sixth message", 0, 3],
  ] as const;
  const replies = client.routeChat(
    (async function* () {
      for (const [message, latitude, longitude] of notes) {
        out.info(`Sending message "${message}" at point(${latitude}, ${longitude})`);
        yield create(RouteNoteSchema, { message, location: point(latitude, longitude) });
      }
    })(),
    call,
  );
  for await (const note of replies) {
    out.message(RouteNoteSchema, note, `Got message "${note.message}" at point(${note.location?.latitude}, ${note.location?.longitude})`);
  }
}

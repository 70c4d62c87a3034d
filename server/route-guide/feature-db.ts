import { readFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import {
  type Feature,
  FeatureSchema,
  type Point,
  PointSchema,
} from "../../gen/routeguide/route_guide_pb.js";
import { type Bounds, boundsContain } from "./geo.js";
import { PACKAGE_ROOT } from "../lib/package-root.js";

/** The canonical 100 features, copied from grpc's examples into the project. */
export const DEFAULT_FEATURES_PATH = join(PACKAGE_ROOT, "server", "data", "route_guide_db.json");

/** Read-only lookup of named features by exact point and by area. */
export interface FeatureDb {
  /** The feature at the point, or an unnamed feature carrying the point. */
  featureAt(point: Point): Feature;
  /** Whether the database has an entry at the point. */
  isKnown(point: Point): boolean;
  /** Features inside the bounds, in file order. */
  featuresIn(bounds: Bounds): Feature[];
  readonly all: readonly Feature[];
}

interface FeatureJson {
  name: string;
  location: { latitude: number; longitude: number };
}

export function loadFeatureDb(path: string | URL = DEFAULT_FEATURES_PATH): FeatureDb {
  const json = JSON.parse(readFileSync(path, "utf8")) as FeatureJson[];
  // 36 of the 100 canonical entries have no name. Like the Go and Python reference servers,
  // they are still features: listed by ListFeatures and counted by RecordRoute.
  const all = json.map((entry) =>
    create(FeatureSchema, { name: entry.name, location: create(PointSchema, entry.location) }),
  );
  // By latitude, then longitude: a lookup by two numbers, with no key string made per call.
  const byPoint = new Map<number, Map<number, Feature>>();
  for (const feature of all) {
    const { latitude, longitude } = feature.location as Point;
    let row = byPoint.get(latitude);
    if (row === undefined) byPoint.set(latitude, (row = new Map()));
    row.set(longitude, feature);
  }
  const lookup = (point: Point) => byPoint.get(point.latitude)?.get(point.longitude);
  return {
    all,
    featureAt(point) {
      return lookup(point) ?? create(FeatureSchema, { name: "", location: create(PointSchema, point) });
    },
    isKnown(point) {
      return lookup(point) !== undefined;
    },
    featuresIn(bounds) {
      return all.filter((feature) => boundsContain(bounds, feature.location as Point));
    },
  };
}

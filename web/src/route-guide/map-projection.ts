import { create } from "@bufbuild/protobuf";
import { type GeoProjection, geoMercator } from "d3-geo";
import { type Point, PointSchema } from "../../../gen/routeguide/route_guide_pb";

/** Degrees × 10^7, as route_guide.proto stores coordinates. */
export const E7 = 1e7;

export interface Bounds {
  minLatitude: number;
  maxLatitude: number;
  minLongitude: number;
  maxLongitude: number;
}

/** The tutorial's rectangle (40–42°N, 74–75°W) around the 100 canonical features, with a small margin so edge dots show whole. */
export const TUTORIAL_BOUNDS: Bounds = { minLatitude: 39.97, maxLatitude: 42.03, minLongitude: -75.03, maxLongitude: -73.97 };

export interface Projection {
  width: number;
  height: number;
  /** The d3-geo projection behind it, for drawing geography with geoPath. */
  geo: GeoProjection;
  toScreen(point: Point): { x: number; y: number };
  toPoint(x: number, y: number): Point;
}

/**
 * Mercator (conformal: shapes keep their proportions at any latitude, as on web maps) fitted to
 * the bounds' width; the height follows from the projection, so the map has the right aspect.
 */
export function createProjection(bounds: Bounds, width: number): Projection {
  const corners: GeoJSON.MultiPoint = {
    type: "MultiPoint",
    coordinates: [
      [bounds.minLongitude, bounds.minLatitude],
      [bounds.maxLongitude, bounds.maxLatitude],
    ],
  };
  const geo = geoMercator().fitWidth(width, corners);
  const [, bottom] = geo([bounds.minLongitude, bounds.minLatitude]) as [number, number];
  return {
    width,
    height: Math.round(bottom),
    geo,
    toScreen: (point) => {
      const [x, y] = geo([point.longitude / E7, point.latitude / E7]) as [number, number];
      return { x, y };
    },
    toPoint: (x, y) => {
      const [longitude, latitude] = geo.invert?.([x, y]) ?? [0, 0];
      return create(PointSchema, { longitude: Math.round(longitude * E7), latitude: Math.round(latitude * E7) });
    },
  };
}

export function formatPoint(point: Point): string {
  return `${(point.latitude / E7).toFixed(4)}, ${(point.longitude / E7).toFixed(4)}`;
}

export function pointKey(point: Point | undefined): string {
  return point === undefined ? "" : `${point.latitude},${point.longitude}`;
}

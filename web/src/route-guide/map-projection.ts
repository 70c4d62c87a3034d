import { create } from "@bufbuild/protobuf";
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
  toScreen(point: Point): { x: number; y: number };
  toPoint(x: number, y: number): Point;
}

/**
 * Equirectangular projection with longitude shrunk by cos(latitude), so the map's shapes look
 * right at this latitude; good enough for a 2° window and needs no tile server.
 */
export function createProjection(bounds: Bounds, width: number): Projection {
  const midLatitude = ((bounds.minLatitude + bounds.maxLatitude) / 2) * (Math.PI / 180);
  const xPerDegree = width / (bounds.maxLongitude - bounds.minLongitude);
  const yPerDegree = xPerDegree / Math.cos(midLatitude);
  const height = Math.round((bounds.maxLatitude - bounds.minLatitude) * yPerDegree);
  return {
    width,
    height,
    toScreen: (point) => ({
      x: (point.longitude / E7 - bounds.minLongitude) * xPerDegree,
      y: (bounds.maxLatitude - point.latitude / E7) * yPerDegree,
    }),
    toPoint: (x, y) =>
      create(PointSchema, {
        longitude: Math.round((bounds.minLongitude + x / xPerDegree) * E7),
        latitude: Math.round((bounds.maxLatitude - y / yPerDegree) * E7),
      }),
  };
}

export function formatPoint(point: Point): string {
  return `${(point.latitude / E7).toFixed(4)}, ${(point.longitude / E7).toFixed(4)}`;
}

export function pointKey(point: Point | undefined): string {
  return point === undefined ? "" : `${point.latitude},${point.longitude}`;
}

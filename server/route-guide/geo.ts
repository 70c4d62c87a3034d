import type { Point, Rectangle } from "../../gen/routeguide/route_guide_pb.js";

/** E7 representation: degrees multiplied by 10^7. */
export const COORD_FACTOR = 1e7;
/** Mean earth radius in metres, as in the canonical route guide servers. */
export const EARTH_RADIUS_METRES = 6_371_000;


/** A rectangle with its corners sorted, edges inclusive. */
export interface Bounds {
  minLatitude: number;
  maxLatitude: number;
  minLongitude: number;
  maxLongitude: number;
}

/**
 * A point the request's rules require (proto/routeguide/rules): its absence here is a fault of
 * the server, not of the caller.
 */
export function requiredPoint(point: Point | undefined, field: string): Point {
  if (point === undefined) throw new Error(`${field} passed validation without a value`);
  return point;
}

/** The rectangle's corners, sorted. */
export function rectangleBounds(rectangle: Rectangle): Bounds {
  const lo = requiredPoint(rectangle.lo, "lo");
  const hi = requiredPoint(rectangle.hi, "hi");
  return {
    minLatitude: Math.min(lo.latitude, hi.latitude),
    maxLatitude: Math.max(lo.latitude, hi.latitude),
    minLongitude: Math.min(lo.longitude, hi.longitude),
    maxLongitude: Math.max(lo.longitude, hi.longitude),
  };
}

export function boundsContain(bounds: Bounds, point: { latitude: number; longitude: number }): boolean {
  return (
    point.latitude >= bounds.minLatitude &&
    point.latitude <= bounds.maxLatitude &&
    point.longitude >= bounds.minLongitude &&
    point.longitude <= bounds.maxLongitude
  );
}

/**
 * Great-circle distance in whole metres (haversine). Truncated per leg, as the canonical Go
 * and Python servers do, so route summaries match theirs.
 */
export function distanceMetres(from: Point, to: Point): number {
  const toRadians = (e7: number) => ((e7 / COORD_FACTOR) * Math.PI) / 180;
  const lat1 = toRadians(from.latitude);
  const lat2 = toRadians(to.latitude);
  const deltaLat = lat2 - lat1;
  const deltaLon = toRadians(to.longitude) - toRadians(from.longitude);
  const a =
    Math.sin(deltaLat / 2) ** 2 + Math.cos(lat1) * Math.cos(lat2) * Math.sin(deltaLon / 2) ** 2;
  const c = 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
  return Math.trunc(EARTH_RADIUS_METRES * c);
}

/** A stable map key for a point. */
export function pointKey(point: { latitude: number; longitude: number }): string {
  return `${point.latitude},${point.longitude}`;
}

/** The degenerate bounds holding exactly one point. */
export function pointBounds(point: Point): Bounds {
  return {
    minLatitude: point.latitude,
    maxLatitude: point.latitude,
    minLongitude: point.longitude,
    maxLongitude: point.longitude,
  };
}

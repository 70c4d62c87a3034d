import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PointSchema, RectangleSchema } from "../../gen/routeguide/route_guide_pb.js";
import { boundsContain, distanceMetres, rectangleBounds } from "./geo.js";

const point = (latitude: number, longitude: number) => create(PointSchema, { latitude, longitude });

describe("distanceMetres", () => {
  it("is 0 for the same point", () => {
    expect(distanceMetres(point(407838351, -746143763), point(407838351, -746143763))).toBe(0);
  });

  it("matches the haversine distance for one degree of latitude (111,194.9 m at R=6371 km)", () => {
    expect(distanceMetres(point(0, 0), point(10_000_000, 0))).toBe(111194);
  });

  it("measures between two canonical features like the reference servers", () => {
    // Patriots Path, Mendham -> 101 New Jersey 10, Whippany: grpc-go's calcDistance formula, run in Python, gives 18327.
    expect(distanceMetres(point(407838351, -746143763), point(408122808, -743999179))).toBe(18327);
  });
});

describe("rectangleBounds", () => {
  it("sorts corners given in either order", () => {
    const bounds = rectangleBounds(create(RectangleSchema, { lo: point(10, 20), hi: point(-10, -20) }));
    expect(bounds).toEqual({ minLatitude: -10, maxLatitude: 10, minLongitude: -20, maxLongitude: 20 });
    expect(boundsContain(bounds, point(10, -20))).toBe(true);
    expect(boundsContain(bounds, point(11, 0))).toBe(false);
  });
});

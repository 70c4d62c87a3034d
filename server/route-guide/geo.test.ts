import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { PointSchema, RectangleSchema } from "../../gen/routeguide/route_guide_pb.js";
import { boundsContain, distanceMetres, requireValidBounds, requireValidPoint } from "./geo.js";

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

describe("requireValidPoint", () => {
  it("accepts the inclusive limits", () => {
    expect(() => requireValidPoint(point(900000000, -1800000000), "p")).not.toThrow();
  });

  it.each([
    [point(900000001, 0), "p.latitude: 900000001 is outside ±90 degrees"],
    [point(0, -1800000001), "p.longitude: -1800000001 is outside ±180 degrees"],
  ])("names the field for %o", (bad, message) => {
    const error = ConnectError.from(catchError(() => requireValidPoint(bad, "p")));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(message);
  });

  it("requires presence", () => {
    expect(ConnectError.from(catchError(() => requireValidPoint(undefined, "lo"))).rawMessage).toBe("lo: is required");
  });
});

describe("requireValidBounds", () => {
  it("sorts corners given in either order", () => {
    const bounds = requireValidBounds(create(RectangleSchema, { lo: point(10, 20), hi: point(-10, -20) }));
    expect(bounds).toEqual({ minLatitude: -10, maxLatitude: 10, minLongitude: -20, maxLongitude: 20 });
    expect(boundsContain(bounds, point(10, -20))).toBe(true);
    expect(boundsContain(bounds, point(11, 0))).toBe(false);
  });

  it("names the missing corner", () => {
    const error = ConnectError.from(catchError(() => requireValidBounds(create(RectangleSchema, { lo: point(0, 0) }))));
    expect(error.rawMessage).toBe("hi: is required");
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PointSchema, RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { RouteRecordingService } from "../../gen/routeguide/route_recording_pb.js";
import { problemsOf } from "../../validation/field-problems.js";
import { clientFor, PROTOCOL_MATRIX, startTestServer, type TestServer } from "../test-support/test-server.js";
import { loadFeatureDb } from "./feature-db.js";

const point = (latitude: number, longitude: number) => create(PointSchema, { latitude, longitude });

// Five of the canonical features, then one place with none, then a feature passed twice.
const features = loadFeatureDb();
const ROUTE = [
  point(407838351, -746143763),
  point(408122808, -743999179),
  point(413628156, -749015468),
  point(419999544, -740371136),
  point(414008389, -743951297),
  point(400000000, -750000000),
  point(407838351, -746143763),
];

let server: TestServer;
beforeAll(async () => (server = await startTestServer()));
afterAll(() => server.close());

describe.each(PROTOCOL_MATRIX)("RouteRecordingService.RecordRoute over $name", ({ make }) => {
  it("answers exactly as RecordRoute does for the same points", async () => {
    const transport = make(server.url);
    const companion = await clientFor(RouteRecordingService, transport).recordRoute({ points: ROUTE });
    // The native client stream, over gRPC (it needs HTTP/2 request streaming).
    const native = await clientFor(RouteGuide, PROTOCOL_MATRIX[0]!.make(server.url)).recordRoute(
      (async function* () {
        yield* ROUTE;
      })(),
    );
    expect(companion).toEqual(native);
    expect(companion).toMatchObject({ pointCount: 7, featureCount: 6, elapsedTime: 0 });
    expect(ROUTE.filter((p) => features.isKnown(p))).toHaveLength(6);
    expect(companion.distance).toBeGreaterThan(100_000);
  });

  it("refuses a point off the globe, naming it by its position, and an over-long route", async () => {
    const recorder = clientFor(RouteRecordingService, make(server.url));
    const offGlobe = await recorder.recordRoute({ points: [point(0, 0), point(900000001, 0)] }).catch(ConnectError.from);
    expect(offGlobe).toMatchObject({ code: Code.InvalidArgument, rawMessage: "points[1].latitude: must be between -90 and 90 degrees (±900000000 in E7)" });
    expect(problemsOf(offGlobe)).toEqual([{ field: "points[1].latitude", message: "must be between -90 and 90 degrees (±900000000 in E7)" }]);
    const tooLong = await recorder.recordRoute({ points: Array.from({ length: 5001 }, () => point(1, 1)) }).catch(ConnectError.from);
    expect(tooLong).toMatchObject({ code: Code.InvalidArgument, rawMessage: "points: must contain no more than 5000 item(s)" });
  });

  it("summarises an empty route as zeros", async () => {
    expect(await clientFor(RouteRecordingService, make(server.url)).recordRoute({})).toMatchObject({ pointCount: 0, featureCount: 0, distance: 0 });
  });
});

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PointSchema, RouteGuide, type RouteNote, RouteNoteSchema } from "../../gen/routeguide/route_guide_pb.js";
import type { App } from "../app.js";
import { createPushStream } from "../test-support/push-stream.js";
import { clientFor, collect, createTestApp, eventually, inMemoryTransport } from "../test-support/test-server.js";
import { loadFeatureDb } from "./feature-db.js";

const point = (latitude: number, longitude: number) => create(PointSchema, { latitude, longitude });
const note = (latitude: number, longitude: number, message: string) =>
  create(RouteNoteSchema, { location: point(latitude, longitude), message });

let app: App;
let client: ReturnType<typeof clientFor<typeof RouteGuide>>;
beforeEach(() => {
  app = createTestApp();
  client = clientFor(RouteGuide, inMemoryTransport(app));
});
afterEach(() => app.close());

describe("GetFeature", () => {
  it("returns the named feature at a point", async () => {
    const feature = await client.getFeature(point(409146138, -746188906));
    expect(feature.name).toBe("Berkshire Valley Management Area Trail, Jefferson, NJ, USA");
  });

  it("returns an unnamed feature carrying the point when nothing is there", async () => {
    const feature = await client.getFeature(point(0, 0));
    expect(feature.name).toBe("");
    expect(feature.location).toMatchObject({ latitude: 0, longitude: 0 });
  });

  it("rejects a point off the globe, naming the field", async () => {
    await expect(client.getFeature(point(-900000001, 0))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining("latitude"),
    });
  });
});

describe("ListFeatures", () => {
  const lo = point(400000000, -750000000);
  const hi = point(420000000, -730000000);

  it("streams every feature inside the rectangle, unnamed ones included, like the reference servers", async () => {
    // The tutorial's rectangle holds all 100 canonical entries, 64 of them named.
    const features = await collect(client.listFeatures({ lo, hi }));
    expect(features).toHaveLength(100);
    expect(features.filter((f) => f.name !== "")).toHaveLength(64);
  });

  it("streams only what is inside, edges included", async () => {
    const edge = point(407838351, -746143763);
    const features = await collect(client.listFeatures({ lo: edge, hi: point(408122808, -743999179) }));
    const expected = loadFeatureDb().all.filter(
      (f) => f.location!.latitude >= 407838351 && f.location!.latitude <= 408122808 &&
        f.location!.longitude >= -746143763 && f.location!.longitude <= -743999179,
    );
    expect(expected.length).toBeGreaterThan(1);
    expect(expected.length).toBeLessThan(100);
    expect(features.map((f) => f.name)).toEqual(expected.map((f) => f.name));
    expect(features[0]?.name).toBe("Patriots Path, Mendham, NJ 07945, USA");
  });

  it("accepts corners in either order", async () => {
    const small = { lo: point(407838351, -746143763), hi: point(408122808, -743999179) };
    const forward = await collect(client.listFeatures(small));
    const reversed = await collect(client.listFeatures({ lo: small.hi, hi: small.lo }));
    expect(forward.length).toBeGreaterThan(0);
    expect(reversed).toEqual(forward);
  });

  it("streams all 100 canonical features for the whole globe", async () => {
    const all = await collect(client.listFeatures({ lo: point(-900000000, -1800000000), hi: point(900000000, 1800000000) }));
    expect(all).toHaveLength(100);
  });

  it("rejects an invalid corner, naming it", async () => {
    await expect(collect(client.listFeatures({ lo, hi: point(0, 1800000001) }))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/^hi\.longitude: /),
    });
    await expect(collect(client.listFeatures({ lo }))).rejects.toMatchObject({ rawMessage: "hi: value is required" });
  });
});

describe("RecordRoute", () => {
  it("counts points and known features and sums the distance", async () => {
    const summary = await client.recordRoute(
      (async function* () {
        yield point(407838351, -746143763); // a feature
        yield point(408122808, -743999179); // a feature
        yield point(1, 1); // nothing there
      })(),
    );
    expect(summary.pointCount).toBe(3);
    expect(summary.featureCount).toBe(2);
    // Legs truncated like the reference servers: 18327 m (checked in Python) + the second leg.
    expect(summary.distance).toBeGreaterThan(18327);
    expect(summary.elapsedTime).toBe(0);
  });

  it("summarises an empty route as zeros", async () => {
    const summary = await client.recordRoute((async function* () {})());
    expect(summary).toMatchObject({ pointCount: 0, featureCount: 0, distance: 0 });
  });

  it("rejects an invalid point with its position", async () => {
    const promise = client.recordRoute(
      (async function* () {
        yield point(0, 0);
        yield point(0, 1800000001);
      })(),
    );
    await expect(promise).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^request 1: longitude: /) });
  });
});

describe("RouteChat", () => {
  it("sends earlier notes at a location before recording each note, oldest first, never the note itself", async () => {
    const replies = await collect(
      client.routeChat(
        (async function* () {
          yield note(1, 1, "first");
          yield note(1, 1, "second");
          yield note(2, 2, "elsewhere");
          yield note(1, 1, "third");
        })(),
      ),
    );
    expect(replies.map((r) => r.message)).toEqual(["first", "first", "second"]);
  });

  it("delivers other streams' new notes live at locations this stream posted to, and not its own", async () => {
    const alice = createPushStream<RouteNote>();
    const received: string[] = [];
    const aliceDone = (async () => {
      for await (const reply of client.routeChat(alice)) received.push(reply.message);
    })();
    const recorded = new Promise<void>((resolve) => {
      const stop = app.noteHub.subscribe(() => (stop(), resolve()));
    });
    alice.push(note(5, 5, "alice here"));
    await recorded;
    const bobReplies = await collect(
      client.routeChat(
        (async function* () {
          yield note(5, 5, "bob at five");
          yield note(6, 6, "bob at six");
        })(),
      ),
    );
    expect(bobReplies.map((r) => r.message)).toEqual(["alice here"]);
    await eventually(() => received.includes("bob at five"), 5_000, "bob's note at alice's stream");
    expect(received).toEqual(["bob at five"]);
    alice.end();
    await aliceDone;
  });

  it("ends when the client ends and releases its hub subscription", async () => {
    await collect(client.routeChat((async function* () { yield note(3, 3, "x"); })()));
    expect(app.noteHub.subscriberCount()).toBe(0);
  });

  it("releases the subscription when the client cancels", async () => {
    const requests = createPushStream<RouteNote>();
    const controller = new AbortController();
    const done = collect(client.routeChat(requests, { signal: controller.signal })).catch((e) => ConnectError.from(e));
    requests.push(note(4, 4, "hello"));
    await eventually(() => app.noteHub.subscriberCount() === 1);
    controller.abort();
    expect((await done as ConnectError).code).toBe(Code.Canceled);
    await eventually(() => app.noteHub.subscriberCount() === 0, 5_000, "subscriber released");
  });

  it("rejects an empty message and a missing location, naming the field", async () => {
    await expect(collect(client.routeChat((async function* () { yield note(1, 1, "  "); })()))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: "request 0: message: must not be empty",
    });
    await expect(collect(client.routeChat((async function* () { yield note(1, 1, "first"); yield { message: "no place" }; })()))).rejects.toMatchObject({
      rawMessage: "request 1: location: value is required",
    });
    expect(app.noteHub.subscriberCount()).toBe(0);
  });
});

import http from "node:http";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { PointSchema, RouteNoteSchema } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService, StoredNoteSchema, SubscribeNotesRequestSchema } from "../../gen/routeguide/route_notes_pb.js";
import { clientFor, eventually, PROTOCOL_MATRIX, startTestServer, TEST_TOKEN, type TestServer } from "../test-support/test-server.js";
import { DEFERRED_TARGETS_PER_TURN, DIRECT_LIVE_WRITES } from "./frame-batch.js";

// A fan-out to more HTTP/1.1 subscribers than one turn writes at once (frame-batch.ts), over a
// real port: the deferred subscribers' notes must arrive complete, in order, and joined.

let server: TestServer | undefined;
const sockets: http.ClientRequest[] = [];
afterEach(async () => {
  for (const request of sockets.splice(0)) request.destroy();
  await server?.close();
  server = undefined;
});

interface Subscriber {
  /** Note ids in the order received (0: a heartbeat). */
  ids: bigint[];
  /** Body reads that carried at least one note. */
  reads: number;
}

/** A Connect server-streaming SubscribeNotes call over its own HTTP/1.1 connection, as a browser makes it. */
function subscribe(url: string, location: { latitude: number; longitude: number }): Subscriber {
  const subscriber: Subscriber = { ids: [], reads: 0 };
  const message = toBinary(SubscribeNotesRequestSchema, create(SubscribeNotesRequestSchema, { scope: { case: "location", value: create(PointSchema, location) }, heartbeats: true }));
  const body = Buffer.alloc(5 + message.length);
  body.writeUInt32BE(message.length, 1);
  body.set(message, 5);
  const request = http.request(`${url}/routeguide.RouteNotesService/SubscribeNotes`, {
    method: "POST",
    agent: false,
    headers: { "content-type": "application/connect+proto", "connect-protocol-version": "1", authorization: `Bearer ${TEST_TOKEN}` },
  });
  sockets.push(request);
  request.on("error", () => {});
  request.on("response", (response) => {
    let buffered = Buffer.alloc(0);
    response.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      let notes = 0;
      while (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt32BE(1)) {
        const length = buffered.readUInt32BE(1);
        if (buffered[0] === 0) {
          const stored = fromBinary(StoredNoteSchema, buffered.subarray(5, 5 + length));
          subscriber.ids.push(stored.id);
          if (stored.id !== 0n) notes++;
        }
        buffered = buffered.subarray(5 + length);
      }
      if (notes > 0) subscriber.reads++;
    });
    response.on("error", () => {});
  });
  request.end(body);
  return subscriber;
}

describe("a fan-out larger than a turn, on HTTP/1.1", () => {
  it("delivers every note to every subscriber, in order, the deferred ones joined into fewer writes", { timeout: 60_000 }, async () => {
    server = await startTestServer();
    const location = { latitude: 40_000_000, longitude: -70_000_000 };
    const count = DIRECT_LIVE_WRITES + DEFERRED_TARGETS_PER_TURN + 100;
    const subscribers = Array.from({ length: count }, () => subscribe(server!.url, location));
    await eventually(() => subscribers.every(({ ids }) => ids.length === 1), 30_000, "every stream's heartbeat");

    const notes = clientFor(RouteNotesService, (PROTOCOL_MATRIX[0] as (typeof PROTOCOL_MATRIX)[number]).make(server.url));
    // Posted at once: later notes reach the hub while the first's deferred writes still wait.
    const posted = await Promise.all(
      Array.from({ length: 10 }, (_, index) => notes.postNote(create(RouteNoteSchema, { location: create(PointSchema, location), message: `note ${index}` }))),
    );
    const ids = posted.map((note) => note.id).sort((a, b) => (a < b ? -1 : 1));
    await eventually(() => subscribers.every((subscriber) => subscriber.ids.length === 1 + ids.length), 30_000, "every note at every subscriber");

    for (const subscriber of subscribers) expect(subscriber.ids).toEqual([0n, ...ids]);
    // The first subscribers are written at once, one note a write; the last were deferred and
    // got the notes that came while they waited in fewer writes than notes.
    const last = subscribers.slice(-100);
    expect(last.some((subscriber) => subscriber.reads < ids.length)).toBe(true);
  });
});

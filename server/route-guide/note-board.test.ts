import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RouteNoteSchema } from "../../gen/routeguide/route_guide_pb.js";
import type { StoredNote } from "../../gen/routeguide/route_notes_pb.js";
import { createInProcessHub, type LiveHub } from "../hub/live-hub.js";
import { openSqliteStorage } from "../storage/sqlite-storage.js";
import { createNoteBoard, type NoteEvent } from "./note-board.js";

/** An in-process hub whose deliveries wait until the test lets them go: a hub that is slower than the database. */
function heldHub(): LiveHub<NoteEvent> & { release(): void } {
  const inner = createInProcessHub<NoteEvent>();
  const pending: NoteEvent[] = [];
  return {
    ...inner,
    async publish(event) {
      pending.push(event);
    },
    release() {
      for (const event of pending.splice(0)) void inner.publish(event);
    },
  };
}

const note = (latitude: number, longitude: number, message: string) => create(RouteNoteSchema, { location: { latitude, longitude }, message });

describe("a note feed", () => {
  it("shows a note once when its live event comes after a history read that already had it", async () => {
    const storage = openSqliteStorage({ path: ":memory:" });
    const hub = heldHub();
    const board = createNoteBoard({ store: storage.notes, hub });
    const area = { minLatitude: 0, maxLatitude: 10, minLongitude: 0, maxLongitude: 10 };
    const delivered: StoredNote[] = [];
    const feed = board.openFeed({ deliver: (stored) => delivered.push(stored) });
    const late = await board.post(note(1, 1, "committed, its event still on the way"));
    await feed.replayAndWatch(area);
    expect(delivered.map((stored) => stored.id)).toEqual([late.id]);
    hub.release();
    const next = await board.post(note(2, 2, "after"));
    hub.release();
    expect(delivered.map((stored) => stored.id)).toEqual([late.id, next.id]);
    feed.close();
  });

  it("keeps each watched place's own watermark: a late event for one place is not hidden by another place's history", async () => {
    const storage = openSqliteStorage({ path: ":memory:" });
    const hub = heldHub();
    const board = createNoteBoard({ store: storage.notes, hub });
    const delivered: string[] = [];
    const feed = board.openFeed({ deliver: (stored) => delivered.push(stored.note!.message) });
    await feed.replayAndWatch({ minLatitude: 5, maxLatitude: 5, minLongitude: 5, maxLongitude: 5 });
    await board.post(note(5, 5, "at the first place"));
    await board.post(note(7, 7, "at the second place"));
    // The second place's history (ids above the first note's) is read before the first note's event arrives.
    await feed.replayAndWatch({ minLatitude: 7, maxLatitude: 7, minLongitude: 7, maxLongitude: 7 });
    hub.release();
    expect(delivered).toEqual(["at the second place", "at the first place"]);
    feed.close();
  });
});

import { create } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { PointSchema, type RouteNote, RouteNoteSchema } from "../../gen/routeguide/route_guide_pb.js";
import { type StoredNote, StoredNoteSchema } from "../../gen/routeguide/route_notes_pb.js";
import type { LiveHub } from "../hub/live-hub.js";
import type { NoteRecord, NoteStore } from "../storage/storage.js";
import { type Bounds, boundsContain, pointKey, requiredPoint } from "./geo.js";

/** What travels through the hub: a recorded note and the stream that posted it, if any. */
export interface NoteEvent {
  record: NoteRecord;
  originId?: string;
}

export interface NoteFeedOptions {
  /** Receives every note the feed shows, in order. */
  deliver(note: StoredNote): void;
  /**
   * Resolves when the reader has taken what was delivered: history is read a page at a time
   * and the next page waits for this, so a long history never piles up in memory. Default: at once.
   */
  drained?(): Promise<void>;
  /** Live notes posted with this origin are not shown (a RouteChat stream's own notes). */
  originId?: string;
  /** The hub was lost (Redis): no more live notes will come; the stream should end with `error`. */
  onLost?(error: ConnectError): void;
}

/** One stream's view of the board: history on request, then live notes in the areas watched. */
export interface NoteFeed {
  /**
   * Delivers the recorded notes in `area` with id > afterId, oldest first, then keeps
   * delivering new notes in the area live. Notes posted while the history is read are held
   * and released after it, so none is lost or shown twice. Calls must not overlap.
   */
  replayAndWatch(area: Bounds, afterId?: bigint): Promise<void>;
  /** Stops live delivery and releases the hub subscription. Opening throws UNAVAILABLE while the hub is lost. */
  close(): void;
}

/** The shared route-note board behind RouteChat and the browser companions. */
export interface NoteBoard {
  /** Validates, persists, then publishes a note; the result is acknowledged only once stored. */
  post(note: RouteNote, originId?: string): Promise<StoredNote>;
  openFeed(options: NoteFeedOptions): NoteFeed;
}

export interface NoteBoardOptions {
  store: NoteStore;
  hub: LiveHub<NoteEvent>;
  /** Notes kept per location: posting one more deletes the oldest there. Default: 1,000. */
  keepPerLocation?: number;
  /** Notes read from storage at a time when replaying history. Default: 500. */
  historyPageSize?: number;
  /** Milliseconds since the epoch. Default: Date.now. */
  now?: () => number;
}

export function createNoteBoard({ store, hub, now = Date.now, keepPerLocation = 1_000, historyPageSize = 500 }: NoteBoardOptions): NoteBoard {
  // A live note reaches every feed as the same record: one StoredNote for all of them, so that the
  // transports serialize it once (lean-routes.ts frameOf) rather than once per subscriber.
  let lastLive: { record: NoteRecord; stored: StoredNote } | undefined;
  const storedNoteOf = (record: NoteRecord) => {
    if (lastLive?.record !== record) lastLive = { record, stored: toStoredNote(record) };
    return lastLive.stored;
  };
  // Likewise its location's key, which every feed looks up: made once per note, not once per feed.
  let lastKeyed: { record: NoteRecord | undefined; key: string } = { record: undefined, key: "" };
  const pointKeyOf = (record: NoteRecord) => {
    if (lastKeyed.record !== record) lastKeyed = { record, key: pointKey(record) };
    return lastKeyed.key;
  };
  return {
    async post(note, originId) {
      const location = requiredPoint(note.location, "location");
      const record = await store.add({
        latitude: location.latitude,
        longitude: location.longitude,
        message: note.message,
        createdAt: now(),
      }, { keepPerLocation });
      await hub.publish({ record, originId });
      return toStoredNote(record);
    },

    openFeed({ deliver, originId, onLost, drained = () => Promise.resolve() }) {
      // What is watched, each with the last id its history delivered: a live event at or below it
      // was in that history. The hub can deliver a note after a later history read has already
      // shown it (the note-sequencer reads the database; even in-process, publish follows the
      // commit after an await), so the watermark, not arrival time, decides.
      const watchedPoints = new Map<string, bigint>();
      const watchedAreas: { area: Bounds; watermark: bigint }[] = [];
      let loading: { area: Bounds; held: NoteRecord[] } | undefined;

      const isNew = (record: NoteRecord) => {
        const point = watchedPoints.size === 0 ? undefined : watchedPoints.get(pointKeyOf(record));
        if (point !== undefined && record.id > point) return true;
        return watchedAreas.some(({ area, watermark }) => record.id > watermark && boundsContain(area, record));
      };
      const unsubscribe = hub.subscribe((event) => {
        if (originId !== undefined && event.originId === originId) return;
        const { record } = event;
        if (loading !== undefined && boundsContain(loading.area, record)) {
          loading.held.push(record);
        } else if (isNew(record)) {
          deliver(storedNoteOf(record));
        }
      }, onLost);

      return {
        async replayAndWatch(area, afterId = 0n) {
          const held: NoteRecord[] = [];
          loading = { area, held };
          try {
            let lastId = afterId;
            for (;;) {
              const page = await store.listIn(area, lastId, historyPageSize);
              for (const record of page) deliver(toStoredNote(record));
              lastId = page.at(-1)?.id ?? lastId;
              if (page.length < historyPageSize) break;
              await drained();
            }
            for (const record of held) {
              if (record.id > lastId) {
                deliver(toStoredNote(record));
                lastId = record.id;
              }
            }
            watch(area, lastId);
          } finally {
            loading = undefined;
          }
        },
        close: unsubscribe,
      };

      function watch(area: Bounds, watermark: bigint): void {
        const isPoint =
          area.minLatitude === area.maxLatitude && area.minLongitude === area.maxLongitude;
        if (isPoint) {
          const key = pointKey({ latitude: area.minLatitude, longitude: area.minLongitude });
          const previous = watchedPoints.get(key);
          watchedPoints.set(key, previous !== undefined && previous > watermark ? previous : watermark);
        } else {
          watchedAreas.push({ area, watermark });
        }
      }
    },
  };
}

export function toStoredNote(record: NoteRecord): StoredNote {
  return create(StoredNoteSchema, {
    id: record.id,
    createdAt: BigInt(record.createdAt),
    note: create(RouteNoteSchema, {
      location: create(PointSchema, { latitude: record.latitude, longitude: record.longitude }),
      message: record.message,
    }),
  });
}

import { Code, ConnectError } from "@connectrpc/connect";
import type { NoteEvent } from "../route-guide/note-board.js";
import type { NoteStore } from "../storage/storage.js";
import { createListenerSet, type LiveHub } from "./live-hub.js";

export interface NoteSequencerOptions {
  store: NoteStore;
  /** Carries "a note was committed" between replicas (Redis). Its events are only a doorbell. */
  doorbell: LiveHub<bigint>;
  /** Notes read from the store at a time. Default: 500. */
  pageSize?: number;
  /** Reads the store even without a doorbell this often, for notes whose doorbell was lost. Default: 5,000 ms. */
  pollMs?: number;
  /** Wait before subscribing to the doorbell again after it was lost. Default: 250 ms. */
  retryMs?: number;
  /** Store reads or listeners that failed. Default: console.error. */
  onError?: (error: unknown) => void;
}

export interface NoteSequencer extends LiveHub<NoteEvent> {
  /** Stops polling and leaves the doorbell. */
  close(): void;
}

const WORLD = { minLatitude: -900000000, maxLatitude: 900000000, minLongitude: -1800000000, maxLongitude: 1800000000 };

/**
 * The note hub for several replicas. Events from other processes can arrive in any order (two
 * replicas publish notes 5 and 6 at once; 6 may come first), and a client that saw 6 and resumes
 * with after_id = 6 would never see 5. So the doorbell only says "something was committed", and
 * each replica reads the store for every note after the last one it delivered, in id order.
 * The store commits notes in id order (postgres-storage.ts), so nothing below the last id
 * delivered can appear later: live delivery is gap-free and duplicate-free in id order, and a
 * note whose doorbell was lost (its replica died between commit and publish) still arrives.
 */
export async function createNoteSequencer(options: NoteSequencerOptions): Promise<NoteSequencer> {
  const { store, doorbell, pageSize = 500, pollMs = 5_000, retryMs = 250, onError = console.error } = options;
  const listeners = createListenerSet<NoteEvent>(onError);
  // The stream that posted a note is on this replica, so its origin is known locally.
  const origins = new Map<bigint, string>();
  let lastDelivered = await store.latestId();
  let reading: Promise<void> | undefined;
  let readAgain = false;
  let leaveDoorbell: (() => void) | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  function catchUp(): Promise<void> {
    if (reading) {
      readAgain = true;
      return reading;
    }
    reading = (async () => {
      try {
        do {
          readAgain = false;
          for (;;) {
            const page = await store.listIn(WORLD, lastDelivered, pageSize);
            for (const record of page) {
              lastDelivered = record.id;
              const originId = origins.get(record.id);
              origins.delete(record.id);
              listeners.deliver({ record, originId });
            }
            if (page.length < pageSize) break;
          }
        } while (readAgain);
      } catch (error) {
        onError(error); // the database is away: the next doorbell or poll reads again
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  }

  function joinDoorbell(): void {
    if (closed) return;
    try {
      leaveDoorbell = doorbell.subscribe(() => void catchUp(), (error) => {
        leaveDoorbell = undefined;
        listeners.loseAll(error);
        retryTimer = setTimeout(joinDoorbell, retryMs);
      });
      void catchUp();
    } catch {
      retryTimer = setTimeout(joinDoorbell, retryMs);
    }
  }

  joinDoorbell();
  const poll = setInterval(() => void catchUp(), pollMs);
  poll.unref();

  return {
    async publish(event) {
      if (event.originId !== undefined && event.record.id > lastDelivered) {
        origins.set(event.record.id, event.originId);
        // Bounded: origins of notes that never came back (dropped by retention first) are forgotten.
        if (origins.size > 10_000) origins.delete(origins.keys().next().value as bigint);
      }
      try {
        await doorbell.publish(event.record.id);
      } catch (error) {
        // The note is committed: this replica delivers it now, the others on their next poll.
        onError(error);
        await catchUp();
      }
    },
    subscribe(listener, onLost) {
      if (leaveDoorbell === undefined) {
        throw new ConnectError("live updates unavailable; reconnect shortly", Code.Unavailable);
      }
      return listeners.add(listener, onLost);
    },
    subscriberCount: () => listeners.size,
    async check() {
      if (leaveDoorbell === undefined) throw new ConnectError("live updates unavailable; reconnect shortly", Code.Unavailable);
      await doorbell.check();
    },
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(poll);
      leaveDoorbell?.();
    },
  };
}

/**
 * Stream messages written in one burst leave as one write.
 *
 * A server stream's handler often yields many messages at once (ListFeatures: a hundred in one
 * turn of the event loop), and a live event reaches a subscriber in the hub's loop. Each
 * `write` on a Node stream has a cost of its own (bookkeeping, and on HTTP/1.1 a chunk header
 * and trailer); the frames of one burst are joined and written once, when the burst is over
 * (the next tick), or at once when they reach `FLUSH_BYTES`. Whoever ends the response takes
 * what is pending first (`flushFrames`, or `joinPending` to end with it in one write), so that
 * nothing written is left behind.
 *
 * On HTTP/1.1, where every write is a system call of its own, a fan-out larger than one turn
 * should write (`DIRECT_LIVE_WRITES`) leaves the rest of its live frames pending, and they are
 * written in later turns, `DEFERRED_TARGETS_PER_TURN` targets a turn, in the order they were
 * deferred. While any are waiting, every new live frame waits
 * too, joining what its target has pending. So when events come faster than one core can write
 * them, each subscriber gets one write with every event it has missed instead of one write per
 * event: a write system call on loopback costs about 10 µs whatever it carries, and 10,000
 * subscribers at 10 events a second is more writes than a core makes. The wait for a
 * subscriber is then at most one pass over the subscribers, not a queue of whole fan-outs that
 * grows for as long as events come that fast; and the poster's own calls are served between
 * the turns.
 */

/** The response or HTTP/2 stream the frames go to. */
export interface FrameTarget {
  write(chunk: Buffer): boolean;
  readonly writableNeedDrain: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
}

/** Pending frames beyond this many bytes are written at once rather than at the end of the burst. */
export const FLUSH_BYTES = 16 * 1024;

const pending = Symbol("frames not yet written");
const directBurst = Symbol("burst of the last frame written at once");

interface PendingFrames {
  frames: Buffer[];
  bytes: number;
  /** How deferred frames leave (writeFrameNow's writer). */
  writer?: FrameWriter;
}

type WithPending = FrameTarget & { [pending]?: PendingFrames; [directBurst]?: number };

/**
 * Queues `frame` for the end of the burst. Returns false when the target is full: wait for its
 * "drain" (the queued frames are written in any case).
 */
export function writeFrame(target: FrameTarget, frame: Buffer): boolean {
  const holder = target as WithPending;
  let batch = holder[pending];
  if (batch === undefined) holder[pending] = batch = { frames: [], bytes: 0 };
  if (batch.frames.length === 0) process.nextTick(flushFrames, target);
  batch.frames.push(frame);
  batch.bytes += frame.byteLength;
  if (batch.bytes >= FLUSH_BYTES) return flushFrames(target);
  return !target.writableNeedDrain;
}

/**
 * How a live stream's frames leave when each write is a system call of its own (HTTP/1.1: a
 * chunk straight to the socket, http1-chunks.ts). Only frames written with a writer are ever
 * deferred: an HTTP/2 stream's frames leave with its connection's other streams' in nghttp2's
 * writes anyway, and deferring them measured slower (bench/RESULTS.md, seventh stop).
 */
export interface FrameWriter {
  /** Writes the frames, in order, as one write; returns false when the target is full (it will say "drain"). */
  write(target: FrameTarget, frames: Buffer | readonly Buffer[]): boolean;
  /** Whether the target cannot take more now: the caller should wait for its "drain". */
  full(target: FrameTarget): boolean;
}

/** Live frames written at once in one burst with a writer (a fan-out's first subscribers); the burst's others wait for a later turn. */
export const DIRECT_LIVE_WRITES = 1_000;
/** Targets whose deferred frames are written in one turn of the event loop. */
export const DEFERRED_TARGETS_PER_TURN = 1_000;

/**
 * A live event's frame: written at once if it is the target's first frame in this burst,
 * queued (as writeFrame does) after it. A fan-out hands each subscriber one frame per event,
 * and queuing it would cost a tick callback per subscriber, touching every subscriber's stream
 * twice per event; a burst of many (a history replayed through the same push) is still
 * written as two writes, not one each. With a `writer`: written by it, and past
 * `DIRECT_LIVE_WRITES` in one burst, or while deferred frames are waiting, deferred (see the
 * top of this file). Returns false when the target is full: wait for "drain".
 */
export function writeFrameNow(target: FrameTarget, frame: Buffer, writer?: FrameWriter): boolean {
  const holder = target as WithPending;
  const burst = currentBurst();
  if (holder[directBurst] === burst || hasPendingFrames(target)) return writeFrame(target, frame);
  if (target.writableEnded || target.destroyed) return false;
  holder[directBurst] = burst;
  if (writer === undefined) return target.write(frame);
  if (directWrites >= DIRECT_LIVE_WRITES || deferred.length > deferredHead) return defer(holder, frame, writer);
  directWrites++;
  return writer.write(target, frame);
}

/** Targets with deferred frames, oldest first; those before `deferredHead` are written. */
let deferred: WithPending[] = [];
let deferredHead = 0;
/** Targets deferred since the process started: with those still waiting, what `afterDeferredWrites` counts by. */
let deferredCount = 0;
let waiters: { until: number; callback: () => void }[] = [];
let writingScheduled = false;

function defer(holder: WithPending, frame: Buffer, writer: FrameWriter): boolean {
  let batch = holder[pending];
  if (batch === undefined) holder[pending] = batch = { frames: [], bytes: 0 };
  batch.frames.push(frame);
  batch.bytes += frame.byteLength;
  batch.writer = writer;
  deferred.push(holder);
  deferredCount++;
  if (!writingScheduled) {
    writingScheduled = true;
    setImmediate(writeDeferred);
  }
  return !writer.full(holder);
}

/** One turn's share of the deferred targets, each with all it has pending in one write. */
function writeDeferred(): void {
  writingScheduled = false;
  const end = Math.min(deferred.length, deferredHead + DEFERRED_TARGETS_PER_TURN);
  try {
    while (deferredHead < end) {
      const target = deferred[deferredHead] as WithPending;
      deferred[deferredHead++] = undefined as unknown as WithPending;
      // defer() gave the target's batch its writer.
      const { writer } = target[pending] as Required<PendingFrames>;
      const frames = takePending(target);
      // Ended meanwhile (its end took what was pending), or gone.
      if (frames === undefined || target.writableEnded || target.destroyed) continue;
      writer.write(target, frames.length === 1 ? (frames[0] as Buffer) : frames);
    }
  } finally {
    afterTurn();
  }
}

/** After a turn of deferred writes: its waiters called, the next turn scheduled if any still wait. */
function afterTurn(): void {
  if (deferredHead === deferred.length) {
    deferred = [];
    deferredHead = 0;
  }
  if (waiters.length > 0) callWaiters();
  if (deferred.length > deferredHead && !writingScheduled) {
    writingScheduled = true;
    setImmediate(writeDeferred);
  }
}

/**
 * Calls `callback` once every frame deferred so far has been handed to its target (at once
 * if none is waiting): when a fan-out's last subscriber got its write (time-deliveries.ts).
 */
export function afterDeferredWrites(callback: () => void): void {
  if (deferred.length === deferredHead) return callback();
  waiters.push({ until: deferredCount, callback });
}

function callWaiters(): void {
  const writtenCount = deferredCount - (deferred.length - deferredHead);
  const due = waiters.filter((waiter) => waiter.until <= writtenCount);
  if (due.length === 0) return;
  waiters = waiters.filter((waiter) => waiter.until > writtenCount);
  for (const waiter of due) waiter.callback();
}

let burst = 0;
let burstEnding = false;
/** Live frames written at once in this burst. */
let directWrites = 0;

/** A number for the current burst (the work until the next tick): one tick callback per burst, for every target. */
function currentBurst(): number {
  if (!burstEnding) {
    burstEnding = true;
    process.nextTick(endBurst);
  }
  return burst;
}

function endBurst(): void {
  burst++;
  burstEnding = false;
  directWrites = 0;
}

/** Writes the queued frames now, as one chunk. Returns the write's answer (true if nothing was queued and the target is not full). */
export function flushFrames(target: FrameTarget): boolean {
  const frames = takePending(target);
  if (frames === undefined) return !target.writableNeedDrain;
  // A response ended without a flush (a deadline, a reset) has no use for them.
  if (target.writableEnded || target.destroyed) return false;
  return target.write(joinedFrames(frames));
}

/** Frames (one, or several in order) as one buffer. */
export function joinedFrames(frames: Buffer | readonly Buffer[]): Buffer {
  if (Buffer.isBuffer(frames)) return frames;
  return frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames);
}

/** The pending frames followed by `last`, as one chunk for the response's end (nothing is left pending). */
export function joinPending(target: FrameTarget, last: readonly Buffer[]): Buffer {
  const frames = takePending(target);
  return joinedFrames(frames === undefined ? last : [...frames, ...last]);
}

/** Whether frames are queued for the end of the burst. */
export function hasPendingFrames(target: FrameTarget): boolean {
  const batch = (target as WithPending)[pending];
  return batch !== undefined && batch.frames.length > 0;
}

/** The queued frames, taken off the target; undefined if there are none. */
function takePending(target: FrameTarget): Buffer[] | undefined {
  const batch = (target as WithPending)[pending];
  if (batch === undefined || batch.frames.length === 0) return undefined;
  const { frames } = batch;
  batch.frames = [];
  batch.bytes = 0;
  return frames;
}

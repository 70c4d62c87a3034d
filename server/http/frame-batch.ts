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
 * A live event's frame: written at once if it is the target's first frame in this burst,
 * queued (as writeFrame does) after it. A fan-out hands each subscriber one frame per event,
 * and queuing it would cost a tick callback per subscriber, touching every subscriber's stream
 * twice per event; a burst of many (a history replayed through the same push) is still
 * written as two writes, not one each. Returns false when the target is full: wait for "drain".
 */
export function writeFrameNow(target: FrameTarget, frame: Buffer): boolean {
  const holder = target as WithPending;
  const burst = currentBurst();
  if (holder[directBurst] === burst || hasPendingFrames(target)) return writeFrame(target, frame);
  holder[directBurst] = burst;
  if (target.writableEnded || target.destroyed) return false;
  return target.write(frame);
}

let burst = 0;
let burstEnding = false;

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
}

/** Writes the queued frames now, as one chunk. Returns the write's answer (true if nothing was queued and the target is not full). */
export function flushFrames(target: FrameTarget): boolean {
  const frames = takePending(target);
  if (frames === undefined) return !target.writableNeedDrain;
  // A response ended without a flush (a deadline, a reset) has no use for them.
  if (target.writableEnded || target.destroyed) return false;
  return target.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames));
}

/** The pending frames followed by `last`, as one chunk for the response's end (nothing is left pending). */
export function joinPending(target: FrameTarget, last: readonly Buffer[]): Buffer {
  const frames = takePending(target);
  const all = frames === undefined ? last : [...frames, ...last];
  return all.length === 1 ? (all[0] as Buffer) : Buffer.concat(all);
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

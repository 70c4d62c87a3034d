import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  afterDeferredWrites,
  DEFERRED_TARGETS_PER_TURN,
  DIRECT_LIVE_WRITES,
  FLUSH_BYTES,
  type FrameTarget,
  type FrameWriter,
  flushFrames,
  joinPending,
  writeFrame,
  writeFrameNow,
} from "./frame-batch.js";

/** A real Writable that records each chunk it is handed, and holds them (never calls back) when `stalled`. */
function recordingTarget(options: { highWaterMark?: number; stalled?: boolean } = {}) {
  const chunks: Buffer[] = [];
  const target = new Writable({
    highWaterMark: options.highWaterMark ?? 64 * 1024,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      if (!options.stalled) done();
    },
  });
  return { target, chunks };
}

const frame = (byte: number, length = 10) => Buffer.alloc(length, byte);
const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const allDeferredWritten = () => new Promise<void>((resolve) => afterDeferredWrites(resolve));

describe("frame batches", () => {
  it("writes the frames of one burst as one chunk, in order, when the burst is over", async () => {
    const { target, chunks } = recordingTarget();
    for (let byte = 1; byte <= 3; byte++) expect(writeFrame(target, frame(byte))).toBe(true);
    expect(chunks).toHaveLength(0);
    await nextTick();
    expect(chunks).toEqual([Buffer.concat([frame(1), frame(2), frame(3)])]);
    writeFrame(target, frame(4));
    await nextTick();
    expect(chunks).toHaveLength(2);
  });

  it("writes at once when the pending frames reach FLUSH_BYTES", () => {
    const { target, chunks } = recordingTarget();
    writeFrame(target, frame(1, FLUSH_BYTES - 1));
    expect(chunks).toHaveLength(0);
    writeFrame(target, frame(2, 1));
    expect(chunks.map((chunk) => chunk.length)).toEqual([FLUSH_BYTES]);
  });

  it("flushFrames hands over what is pending before the response is ended, and nothing after", async () => {
    const { target, chunks } = recordingTarget();
    writeFrame(target, frame(1));
    flushFrames(target);
    target.end(frame(9));
    expect(chunks).toEqual([frame(1), frame(9)]);
    writeFrame(target, frame(2)); // a write raced the end: dropped, not an error
    await nextTick();
    expect(chunks).toEqual([frame(1), frame(9)]);
  });

  it("says when the target is full, so that the writer waits for drain", () => {
    const { target } = recordingTarget({ highWaterMark: 8, stalled: true });
    expect(writeFrame(target, frame(1, FLUSH_BYTES))).toBe(false);
    expect(writeFrame(target, frame(2))).toBe(false);
  });

  it("joinPending ends with what is pending and the last frames in one chunk, leaving nothing to flush", async () => {
    const { target, chunks } = recordingTarget();
    expect(joinPending(target, [frame(9)])).toEqual(frame(9));
    writeFrame(target, frame(1));
    writeFrame(target, frame(2));
    target.end(joinPending(target, [frame(3), frame(4)]));
    await nextTick();
    expect(chunks).toEqual([Buffer.concat([frame(1), frame(2), frame(3), frame(4)])]);
  });

  it("writeFrameNow writes a target's first frame of a burst at once, and queues the rest of the burst behind it", async () => {
    const first = recordingTarget();
    const second = recordingTarget();
    // A fan-out: each target's one frame leaves in the loop, no tick per target.
    expect(writeFrameNow(first.target, frame(1))).toBe(true);
    expect(writeFrameNow(second.target, frame(1))).toBe(true);
    expect(first.chunks).toEqual([frame(1)]);
    expect(second.chunks).toEqual([frame(1)]);
    // More in the same burst (a replay): batched after it, in order.
    writeFrameNow(first.target, frame(2));
    writeFrameNow(first.target, frame(3));
    expect(first.chunks).toEqual([frame(1)]);
    await nextTick();
    expect(first.chunks).toEqual([frame(1), Buffer.concat([frame(2), frame(3)])]);
    // The next burst starts with a write at once again.
    writeFrameNow(first.target, frame(4));
    expect(first.chunks.at(-1)).toEqual(frame(4));
  });

  it("writeFrameNow goes behind frames queued by writeFrame, says when the target is full, and drops frames after the end", async () => {
    const { target, chunks } = recordingTarget();
    writeFrame(target, frame(1));
    writeFrameNow(target, frame(2));
    expect(chunks).toHaveLength(0);
    await nextTick();
    expect(chunks).toEqual([Buffer.concat([frame(1), frame(2)])]);
    const full = recordingTarget({ highWaterMark: 8, stalled: true });
    expect(writeFrameNow(full.target, frame(1, 16))).toBe(false);
    // Ended, its last write still in flight (not yet destroyed): a frame racing the end is dropped, not an error.
    const errors: Error[] = [];
    full.target.on("error", (error) => errors.push(error));
    full.target.end();
    await nextTick();
    expect(writeFrameNow(full.target, frame(2))).toBe(false);
    await nextTick();
    expect(full.chunks).toEqual([frame(1, 16)]);
    expect(errors).toEqual([]);
  });

  describe("a fan-out larger than a turn", () => {
    /** Writes through the target itself, as one chunk: what http1ChunkWriter does with a response's socket. */
    const writer: FrameWriter = {
      write: (target, frames) => target.write(Buffer.isBuffer(frames) ? frames : Buffer.concat(frames)),
      full: (target) => target.writableNeedDrain,
    };
    const fanOut = (targets: readonly FrameTarget[], event: Buffer) => targets.forEach((target) => writeFrameNow(target, event, writer));

    it("defers nothing written without a writer (HTTP/2 streams)", () => {
      const targets = Array.from({ length: DIRECT_LIVE_WRITES + 1 }, () => recordingTarget());
      targets.forEach(({ target }) => writeFrameNow(target, frame(1)));
      expect(targets.every(({ chunks }) => chunks.length === 1)).toBe(true);
    });

    it("writes DIRECT_LIVE_WRITES targets at once and the rest in later turns, DEFERRED_TARGETS_PER_TURN a turn, in order", async () => {
      const targets = Array.from({ length: DIRECT_LIVE_WRITES + 2 * DEFERRED_TARGETS_PER_TURN + 1 }, () => recordingTarget());
      fanOut(targets.map(({ target }) => target), frame(1));
      const written = () => targets.filter(({ chunks }) => chunks.length > 0).length;
      expect(written()).toBe(DIRECT_LIVE_WRITES);
      expect(targets.slice(0, DIRECT_LIVE_WRITES).every(({ chunks }) => chunks.length === 1)).toBe(true);
      await nextTurn();
      expect(written()).toBe(DIRECT_LIVE_WRITES + DEFERRED_TARGETS_PER_TURN);
      // The deferred are written in the order they were deferred.
      expect(targets[DIRECT_LIVE_WRITES + DEFERRED_TARGETS_PER_TURN]?.chunks).toEqual([]);
      expect(targets[DIRECT_LIVE_WRITES + DEFERRED_TARGETS_PER_TURN - 1]?.chunks).toEqual([frame(1)]);
      await allDeferredWritten();
      expect(targets.every(({ chunks }) => chunks.length === 1 && chunks[0]?.equals(frame(1)))).toBe(true);
    });

    it("joins the events a waiting target missed into one write, and defers every live frame while any wait", async () => {
      const targets = Array.from({ length: DIRECT_LIVE_WRITES + DEFERRED_TARGETS_PER_TURN + 10 }, () => recordingTarget());
      const all = targets.map(({ target }) => target);
      fanOut(all, frame(1));
      await nextTurn(); // one turn of deferred writes: 10 targets still wait
      fanOut(all, frame(2));
      // Nothing is written at once while frames wait, not even to targets that have none waiting.
      expect(targets[0]?.chunks).toEqual([frame(1)]);
      fanOut(all, frame(3));
      await allDeferredWritten();
      // Written before the later events: each later event in its own write; waiting: all its events in one.
      expect(targets[0]?.chunks).toEqual([frame(1), Buffer.concat([frame(2), frame(3)])]);
      expect(targets.at(-1)?.chunks).toEqual([Buffer.concat([frame(1), frame(2), frame(3)])]);
      // Once nothing waits, a fan-out's first frames are written at once again.
      await nextTick();
      fanOut(all.slice(0, 1), frame(4));
      expect(targets[0]?.chunks.at(-1)).toEqual(frame(4));
    });

    it("writes deferred frames with the writer given, leaves a target's deferred frames to its end, and says when the writer's target is full", async () => {
      const writes: (Buffer | readonly Buffer[])[] = [];
      let full = false;
      const recorder: FrameWriter = { write: (_target, frames) => (writes.push(frames), true), full: () => full };
      const filler = Array.from({ length: DIRECT_LIVE_WRITES }, () => recordingTarget().target);
      const ending = recordingTarget();
      const gone = recordingTarget();
      const slow = recordingTarget();
      fanOut(filler, frame(1));
      expect(writeFrameNow(ending.target, frame(1), recorder)).toBe(true);
      writeFrameNow(ending.target, frame(2), recorder);
      writeFrameNow(gone.target, frame(1), recorder);
      full = true;
      expect(writeFrameNow(slow.target, frame(1), recorder)).toBe(false);
      full = false;
      writeFrameNow(slow.target, frame(2), recorder);
      // The stream ends before its turn: its end takes what waited; a destroyed one drops it.
      ending.target.end(joinPending(ending.target, [frame(9)]));
      gone.target.destroy();
      await allDeferredWritten();
      expect(ending.chunks).toEqual([Buffer.concat([frame(1), frame(2), frame(9)])]);
      expect(gone.chunks).toEqual([]);
      expect(writes).toEqual([[frame(1), frame(2)]]);
    });

    it("afterDeferredWrites calls back at once when nothing waits, and after the last write of what waited when it was called", async () => {
      let called = false;
      afterDeferredWrites(() => (called = true));
      expect(called).toBe(true);
      const targets = Array.from({ length: DIRECT_LIVE_WRITES + DEFERRED_TARGETS_PER_TURN + 1 }, () => recordingTarget());
      fanOut(targets.map(({ target }) => target), frame(1));
      const order: string[] = [];
      afterDeferredWrites(() => order.push(targets.at(-1)?.chunks.length === 1 ? "after the last write" : "too early"));
      await nextTurn();
      expect(order).toEqual([]);
      await nextTurn();
      expect(order).toEqual(["after the last write"]);
    });
  });
});

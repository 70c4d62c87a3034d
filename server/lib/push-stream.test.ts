import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { AsyncQueue } from "./async-queue.js";
import { streamUntilDone } from "./handler-streams.js";
import { attachSink, isPushCapable, type MessageSink, wrapStream } from "./push-stream.js";

/** The parts of a handler context streamUntilDone reads. */
function contextWith(controller = new AbortController()): HandlerContext {
  return { signal: controller.signal } as HandlerContext;
}

/** A live stream over a queue the test drives, counting cleanups. */
function liveStream(context: HandlerContext) {
  let queue!: AsyncQueue<number>;
  const state = { cleanups: 0 };
  const stream = streamUntilDone<number>(context, (outgoing) => {
    queue = outgoing;
    return () => state.cleanups++;
  });
  return { stream, state, queue: () => queue };
}

/** A sink that records what it gets and can say it is full. */
function recordingSink(full = () => false) {
  const got: number[] = [];
  const ends: unknown[] = [];
  const sink: MessageSink<number> = {
    next: (message) => (got.push(message), !full()),
    end: (error) => void ends.push(error ?? "ok"),
  };
  return { sink, got, ends };
}

describe("push-capable live streams", () => {
  it("hands each pushed value straight to the sink, and ends it when the queue ends, releasing the sources once", () => {
    const { stream, state, queue } = liveStream(contextWith());
    const { sink, got, ends } = recordingSink();
    stream[attachSink](sink);
    queue().push(1);
    queue().push(2);
    expect(got).toEqual([1, 2]);
    queue().end();
    expect(ends).toEqual(["ok"]);
    expect(state.cleanups).toBe(1);
  });

  it("ends with the cancellation's reason when the call is aborted (deadline, client gone), and releases the sources", () => {
    const controller = new AbortController();
    const { stream, state, queue } = liveStream(contextWith(controller));
    const { sink, got, ends } = recordingSink();
    stream[attachSink](sink);
    queue().push(1);
    controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
    queue().push(2);
    expect(got).toEqual([1]);
    expect(ends).toHaveLength(1);
    expect(ConnectError.from(ends[0]).code).toBe(Code.DeadlineExceeded);
    expect(state.cleanups).toBe(1);
  });

  it("holds values while the sink is full, in order, and delivers them and then the end on resume", () => {
    let full = true;
    const { stream, queue } = liveStream(contextWith());
    const { sink, got, ends } = recordingSink(() => full);
    const control = stream[attachSink](sink);
    queue().push(1); // taken, but the sink is now full
    queue().push(2);
    queue().push(3);
    queue().end();
    expect(got).toEqual([1]);
    expect(ends).toEqual([]);
    full = false;
    control.resume();
    expect(got).toEqual([1, 2, 3]);
    expect(ends).toEqual(["ok"]);
  });

  it("fails RESOURCE_EXHAUSTED when a full sink falls too far behind, as a slow reader does", () => {
    let full = true;
    const { stream, queue } = liveStream(contextWith());
    const { sink, got, ends } = recordingSink(() => full);
    const control = stream[attachSink](sink);
    for (let i = 0; i <= 10_001; i++) queue().push(i);
    full = false;
    control.resume();
    expect(got).toHaveLength(10_001);
    expect(ends).toHaveLength(1);
    expect(ConnectError.from(ends[0]).code).toBe(Code.ResourceExhausted);
  });

  it("keeps a transport's fault away from the source: the stream ends with it instead", () => {
    const { stream, state, queue } = liveStream(contextWith());
    const ends: unknown[] = [];
    stream[attachSink]({
      next: () => {
        throw new Error("write failed");
      },
      end: (error) => void ends.push(error),
    });
    expect(() => queue().push(1)).not.toThrow();
    expect(String(ends[0])).toContain("write failed");
    expect(state.cleanups).toBe(1);
  });

  it("cancel releases the sources without ending the sink", () => {
    const { stream, state, queue } = liveStream(contextWith());
    const { sink, ends } = recordingSink();
    stream[attachSink](sink).cancel();
    queue().push(1);
    expect(state.cleanups).toBe(1);
    expect(ends).toEqual([]);
  });

  it("reads as an async iterable exactly as before when nothing attaches (connect-node)", async () => {
    const controller = new AbortController();
    const { stream, state, queue } = liveStream(contextWith(controller));
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    queue().push(7);
    expect(await first).toEqual({ value: 7, done: false });
    controller.abort(new ConnectError("canceled", Code.Canceled));
    await expect(iterator.next()).rejects.toMatchObject({ code: Code.Canceled });
    expect(state.cleanups).toBe(1);
  });
});

describe("wrapStream", () => {
  it("keeps a stream pushable through every wrapper, applying map, mapError and onEnd once on the way", () => {
    const { stream, queue } = liveStream(contextWith());
    const ended: unknown[] = [];
    const inner = wrapStream(stream, { map: (n: number) => n * 10 });
    const outer = wrapStream(inner, { mapError: () => new ConnectError("hidden", Code.Internal), onEnd: (error) => ended.push(error) });
    expect(isPushCapable(outer)).toBe(true);
    const got: number[] = [];
    const ends: unknown[] = [];
    (outer as typeof stream)[attachSink]({ next: (n) => (got.push(n), true), end: (error) => void ends.push(error) });
    queue().push(1);
    queue().fail(new Error("database gone"));
    expect(got).toEqual([10]);
    expect(ConnectError.from(ends[0]).rawMessage).toBe("hidden");
    expect(ended).toEqual([ends[0]]);
  });

  it("runs the source's start inside `around` (tracing context)", () => {
    const seen: string[] = [];
    let inside = false;
    const stream = streamUntilDone<number>(contextWith(), () => {
      seen.push(inside ? "inside" : "outside");
      return () => {};
    });
    const wrapped = wrapStream(stream, { around: (work) => ((inside = true), work()) as never });
    (wrapped as typeof stream)[attachSink]({ next: () => true, end: () => {} });
    expect(seen).toEqual(["inside"]);
  });

  it("wraps a plain async iterable by pull only, with the same hooks", async () => {
    const ended: unknown[] = [];
    async function* plain() {
      yield 1;
      yield 2;
      throw new Error("boom");
    }
    const wrapped = wrapStream(plain(), { map: (n: number) => n + 1, mapError: () => "hidden", onEnd: (error) => ended.push(error) });
    expect(isPushCapable(wrapped)).toBe(false);
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const n of wrapped) got.push(n);
      })(),
    ).rejects.toBe("hidden");
    expect(got).toEqual([2, 3]);
    expect(ended).toEqual(["hidden"]);
  });

  it("closes the stream beneath when the reader stops early", async () => {
    const { stream, state, queue } = liveStream(contextWith());
    const wrapped = wrapStream(stream, {});
    const reading = (async () => {
      for await (const n of wrapped) if (n === 2) break;
    })();
    await Promise.resolve();
    queue().push(1);
    queue().push(2);
    await reading;
    expect(state.cleanups).toBe(1);
  });

  describe("several wrappers (one per interceptor), folded into one", () => {
    /** Three wrappers, innermost first, each logging its hooks; the middle one's map fails on `failOn`. */
    function threeWrappers<T extends AsyncIterable<number>>(source: T, log: string[], failOn?: number) {
      let stream: AsyncIterable<number> = source;
      for (const name of ["a", "b", "c"]) {
        stream = wrapStream(stream, {
          map: (n: number) => {
            if (name === "b" && n === failOn) throw new Error(`b failed on ${n}`);
            log.push(`${name}.map ${n}`);
            return n + 1;
          },
          mapError: (error) => (log.push(`${name}.mapError ${String(error)}`), `${name}(${String(error)})`),
          onEnd: (error) => void log.push(`${name}.onEnd ${String(error)}`),
          around: (work) => (log.push(`${name}.around`), work()) as never,
        });
      }
      return stream;
    }

    async function readAll(stream: AsyncIterable<number>, stopAfter = Infinity): Promise<{ got: number[]; error?: unknown }> {
      const got: number[] = [];
      try {
        for await (const n of stream) if (got.push(n) >= stopAfter) break;
      } catch (error) {
        return { got, error };
      }
      return { got };
    }

    it("maps each message inside out, and ends every stage in order", async () => {
      const log: string[] = [];
      async function* source() {
        yield 1;
      }
      expect(await readAll(threeWrappers(source(), log))).toEqual({ got: [4] });
      expect(log).toEqual(["c.around", "b.around", "a.around", "a.map 1", "b.map 2", "c.map 3", "c.around", "b.around", "a.around", "a.onEnd undefined", "b.onEnd undefined", "c.onEnd undefined"]);
    });

    it("passes a source's failure through every mapError, each stage observing what it passes on", async () => {
      const log: string[] = [];
      async function* source(): AsyncGenerator<number> {
        throw "boom";
      }
      expect(await readAll(threeWrappers(source(), log))).toEqual({ got: [], error: "c(b(a(boom)))" });
      expect(log.filter((line) => !line.endsWith("around"))).toEqual([
        "a.mapError boom", "a.onEnd a(boom)", "b.mapError a(boom)", "b.onEnd b(a(boom))", "c.mapError b(a(boom))", "c.onEnd c(b(a(boom)))",
      ]);
    });

    it("a stage's failing map stops the source; the stages inside it end as stopped, it and the outer ones with the error", async () => {
      const log: string[] = [];
      let closed = false;
      async function* source() {
        try {
          yield 1;
          yield 2;
        } finally {
          closed = true;
        }
      }
      const { got, error } = await readAll(threeWrappers(source(), log, 3));
      expect(got).toEqual([4]);
      expect(String(error)).toBe("c(b(Error: b failed on 3))");
      expect(closed).toBe(true);
      expect(log.filter((line) => line.includes("onEnd") || line.includes("mapError"))).toEqual([
        "a.onEnd undefined", "b.mapError Error: b failed on 3", "b.onEnd b(Error: b failed on 3)", "c.mapError b(Error: b failed on 3)", "c.onEnd c(b(Error: b failed on 3))",
      ]);
    });

    it("a reader that stops early closes the source, then ends every stage without an error", async () => {
      const log: string[] = [];
      let closed = false;
      async function* source() {
        try {
          for (let n = 1; ; n++) yield n;
        } finally {
          closed = true;
          log.push("source closed");
        }
      }
      expect(await readAll(threeWrappers(source(), log), 2)).toEqual({ got: [4, 5] });
      expect(closed).toBe(true);
      expect(log.slice(-4)).toEqual(["source closed", "a.onEnd undefined", "b.onEnd undefined", "c.onEnd undefined"]);
    });

    it("pushed, the same: maps inside out, the attach inside every around, and the end through every stage", () => {
      const log: string[] = [];
      const { stream, queue } = liveStream(contextWith());
      const wrapped = threeWrappers(stream, log, 3) as typeof stream;
      expect(isPushCapable(wrapped)).toBe(true);
      const { sink, got, ends } = recordingSink();
      wrapped[attachSink](sink);
      queue().push(1);
      queue().push(2); // b fails on 3 (2 after a's map)
      queue().push(5);
      expect(got).toEqual([4]);
      expect(ends).toEqual(["c(b(Error: b failed on 3))"]);
      expect(log.filter((line) => !line.includes(".map "))).toEqual([
        "c.around", "b.around", "a.around",
        "a.onEnd undefined", "b.mapError Error: b failed on 3", "b.onEnd b(Error: b failed on 3)", "c.mapError b(Error: b failed on 3)", "c.onEnd c(b(Error: b failed on 3))",
      ]);
    });
  });

  it("a failing map ends the stages inside it as stopped when some stages have no map, pulled and pushed", async () => {
    const expected = ["a.onEnd undefined", "b.mapError Error: b failed on 2", "b.onEnd b(Error: b failed on 2)", "c.onEnd c(b(Error: b failed on 2))"];
    const pulledLog: string[] = [];
    async function* source() {
      yield 1;
      yield 2;
    }
    const pulled: number[] = [];
    await expect(
      (async () => {
        for await (const n of threeWrappersWithoutMap(source(), pulledLog)) pulled.push(n);
      })(),
    ).rejects.toBe("c(b(Error: b failed on 2))");
    expect(pulled).toEqual([3]);
    expect(pulledLog.filter((line) => line.includes("onEnd") || line.includes("mapError"))).toEqual(expected);

    const pushedLog: string[] = [];
    const { stream, queue } = liveStream(contextWith());
    const wrapped = threeWrappersWithoutMap(stream, pushedLog) as typeof stream;
    const { sink, got, ends } = recordingSink();
    wrapped[attachSink](sink);
    queue().push(1);
    queue().push(2);
    expect(got).toEqual([3]);
    expect(ends).toEqual(["c(b(Error: b failed on 2))"]);
    expect(pushedLog.filter((line) => line.includes("onEnd") || line.includes("mapError"))).toEqual(expected);
  });

  it("calls hooks as methods of the hooks object, so that a class's hooks can use `this`", async () => {
    class Hooks {
      readonly seen: string[] = [];
      map(n: number) {
        this.seen.push(`map ${n}`);
        return n;
      }
      around<R>(work: () => R): R {
        this.seen.push("around");
        return work();
      }
      onEnd(error: unknown) {
        this.seen.push(`end ${String(error)}`);
      }
    }
    const hooks = new Hooks();
    async function* one() {
      yield 1;
    }
    for await (const _ of wrapStream(wrapStream(one(), {}), hooks));
    expect(hooks.seen).toEqual(["around", "map 1", "around", "end undefined"]);
  });
});

/** a: no map, only observes the end; b: maps n to n + 2 and fails on 2; c: no map either, maps the error. */
function threeWrappersWithoutMap<T extends AsyncIterable<number>>(source: T, log: string[]): AsyncIterable<number> {
  const inner = wrapStream(source, { onEnd: (error) => void log.push(`a.onEnd ${String(error)}`) });
  const middle = wrapStream(inner, {
    map: (n: number) => {
      if (n === 2) throw new Error("b failed on 2");
      return n + 2;
    },
    mapError: (error) => (log.push(`b.mapError ${String(error)}`), `b(${String(error)})`),
    onEnd: (error) => void log.push(`b.onEnd ${String(error)}`),
  });
  return wrapStream(middle, { mapError: (error) => `c(${String(error)})`, onEnd: (error) => void log.push(`c.onEnd ${String(error)}`) });
}

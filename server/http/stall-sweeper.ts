import { type Linked, LinkedList } from "../lib/linked-list.js";

/**
 * Watches many short waits (request bodies arriving) with one timer rather than one each: a
 * timer per call is measurable at tens of thousands of calls a second. Every
 * `timeoutMs / 4` (at most each second) the sweep calls `onStall` for each target watched for
 * longer than `timeoutMs`, so a stall is noticed between 1 and 1.25 times `timeoutMs` after it
 * began. Targets are the watched objects themselves (a stream, say), with one `onStall` for all:
 * a watch makes no closure.
 *
 * The waits are a list in age order (server/lib/linked-list.ts) of small entries, each found
 * from its target, not a `Map`: a Map that gains and loses an entry per call rebuilds its table
 * every few calls and leaves the old one pointing to the new (for iterators), so once one table
 * has reached the old generation, every later table and every stream it held outlives minor
 * collections until the next full one (bench/RESULTS.md, "Issue 13, eleventh stop").
 */
export interface StallSweeper<T extends object> {
  /** Starts watching `target`; a target watched already is counted from now. */
  watch(target: T): void;
  /** Stops watching `target`; nothing if it is not watched. */
  unwatch(target: T): void;
}

/** One watched target, in the sweeper's list from its watch to its end (then emptied). */
interface Wait<T> extends Linked<Wait<T>> {
  target: T | undefined;
  startedAt: number;
}

export function createStallSweeper<T extends object>(timeoutMs: number, onStall: (target: T) => void): StallSweeper<T> {
  // A key of its own, so that one target can be watched by two sweepers.
  const waitOf = Symbol("stall sweeper wait");
  type Watched = T & { [waitOf]?: Wait<T> | undefined };
  const waits = new LinkedList<Wait<T>>();
  let timer: NodeJS.Timeout | undefined;

  /** Ends a wait; returns its target. */
  const end = (wait: Wait<T>): T => {
    const target = wait.target as T;
    waits.remove(wait);
    (target as Watched)[waitOf] = undefined;
    wait.target = undefined;
    return target;
  };

  const sweep = () => {
    const startedBefore = performance.now() - timeoutMs;
    for (let oldest = waits.first; oldest !== undefined && oldest.startedAt <= startedBefore; oldest = waits.first) {
      onStall(end(oldest));
    }
    if (waits.first === undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    watch(target) {
      const watched = target as Watched;
      const already = watched[waitOf];
      if (already !== undefined) end(already);
      const wait: Wait<T> = { target, startedAt: performance.now(), previous: undefined, next: undefined };
      waits.append(wait);
      watched[waitOf] = wait;
      timer ??= setInterval(sweep, Math.min(1_000, timeoutMs / 4)).unref();
    },
    unwatch(target) {
      const wait = (target as Watched)[waitOf];
      if (wait !== undefined) end(wait);
    },
  };
}

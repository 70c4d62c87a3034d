/**
 * Watches many short waits (request bodies arriving) with one timer rather than one each: a
 * timer per call is measurable at tens of thousands of calls a second. Every
 * `timeoutMs / 4` (at most each second) the sweep calls `onStall` for each target watched for
 * longer than `timeoutMs`, so a stall is noticed between 1 and 1.25 times `timeoutMs` after it
 * began. Targets are the watched objects themselves (a stream, say), with one `onStall` for all:
 * a watch makes no closure.
 *
 * The waits are a list in age order through small entries, each found from its target, not a
 * `Map`: a Map that gains and loses an entry per call rebuilds its table every few calls and
 * leaves the old one pointing to the new (for iterators), so once one table has reached the old
 * generation, every later table and every stream it held outlives minor collections until the
 * next full one (bench/RESULTS.md, "Issue 13, eleventh stop").
 */
export interface StallSweeper<T extends object> {
  /** Starts watching `target`; a target watched already is counted from now. */
  watch(target: T): void;
  /** Stops watching `target`; nothing if it is not watched. */
  unwatch(target: T): void;
}

/** One watched target; unlinked (and emptied) when its watch ends. */
interface Wait<T> {
  target: T | undefined;
  startedAt: number;
  previous: Wait<T> | undefined;
  next: Wait<T> | undefined;
}

export function createStallSweeper<T extends object>(timeoutMs: number, onStall: (target: T) => void): StallSweeper<T> {
  // A key of its own, so that one target can be watched by two sweepers.
  const waitOf = Symbol("stall sweeper wait");
  type Watched = T & { [waitOf]?: Wait<T> | undefined };
  let oldest: Wait<T> | undefined;
  let newest: Wait<T> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const unlink = (wait: Wait<T>) => {
    if (wait.previous === undefined) oldest = wait.next;
    else wait.previous.next = wait.next;
    if (wait.next === undefined) newest = wait.previous;
    else wait.next.previous = wait.previous;
    (wait.target as Watched)[waitOf] = undefined;
    wait.target = wait.previous = wait.next = undefined;
  };

  const sweep = () => {
    const startedBefore = performance.now() - timeoutMs;
    while (oldest !== undefined && oldest.startedAt <= startedBefore) {
      const target = oldest.target as T;
      unlink(oldest);
      onStall(target);
    }
    if (oldest === undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    watch(target) {
      const watched = target as Watched;
      const already = watched[waitOf];
      if (already !== undefined) unlink(already);
      const wait: Wait<T> = { target, startedAt: performance.now(), previous: newest, next: undefined };
      if (newest === undefined) oldest = wait;
      else newest.next = wait;
      newest = wait;
      watched[waitOf] = wait;
      timer ??= setInterval(sweep, Math.min(1_000, timeoutMs / 4)).unref();
    },
    unwatch(target) {
      const wait = (target as Watched)[waitOf];
      if (wait !== undefined) unlink(wait);
    },
  };
}

/**
 * Watches many short waits (request bodies arriving) with one timer rather than one each: a
 * timer per call is measurable at tens of thousands of calls a second. Every
 * `timeoutMs / 4` (at most each second) the sweep calls `onStall` for each target watched for
 * longer than `timeoutMs`, so a stall is noticed between 1 and 1.25 times `timeoutMs` after it
 * began. Targets are the watched objects themselves (a stream, say), with one `onStall` for all:
 * a watch makes no closure.
 */
export interface StallSweeper<T extends object> {
  /** Starts watching `target`. */
  watch(target: T): void;
  /** Stops watching `target`; nothing if it is not watched. */
  unwatch(target: T): void;
}

export function createStallSweeper<T extends object>(timeoutMs: number, onStall: (target: T) => void): StallSweeper<T> {
  const waits = new Map<T, number>();
  let timer: NodeJS.Timeout | undefined;
  const sweep = () => {
    const oldest = performance.now() - timeoutMs;
    // A Map iterates in insertion order: the oldest waits come first.
    for (const [target, startedAt] of waits) {
      if (startedAt > oldest) break;
      waits.delete(target);
      onStall(target);
    }
    if (waits.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return {
    watch(target) {
      waits.delete(target); // watched again: it moves to the end, keeping the map in age order
      waits.set(target, performance.now());
      timer ??= setInterval(sweep, Math.min(1_000, timeoutMs / 4)).unref();
    },
    unwatch(target) {
      waits.delete(target);
    },
  };
}

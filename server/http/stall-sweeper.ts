/**
 * Watches many short waits (request bodies arriving) with one timer rather than one each: a
 * timer per call is measurable at tens of thousands of calls a second. Every
 * `timeoutMs / 4` (at most each second) the sweep calls `onStall` for each wait older than
 * `timeoutMs`, so a stall is noticed between 1 and 1.25 times `timeoutMs` after it began.
 */
export interface StallSweeper {
  /** Starts watching; call the returned function once the wait is over. */
  watch(onStall: () => void): () => void;
}

export function createStallSweeper(timeoutMs: number): StallSweeper {
  const waits = new Map<() => void, number>();
  let timer: NodeJS.Timeout | undefined;
  const sweep = () => {
    const oldest = performance.now() - timeoutMs;
    // A Map iterates in insertion order: the oldest waits come first.
    for (const [onStall, startedAt] of waits) {
      if (startedAt > oldest) break;
      waits.delete(onStall);
      onStall();
    }
    if (waits.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return {
    watch(onStall) {
      const entry = () => onStall();
      waits.set(entry, performance.now());
      timer ??= setInterval(sweep, Math.min(1_000, timeoutMs / 4)).unref();
      return () => void waits.delete(entry);
    },
  };
}

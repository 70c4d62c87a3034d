import { Code, ConnectError } from "@connectrpc/connect";

/**
 * A push-driven queue read as an async iterable: the bridge between callbacks (hub
 * deliveries, a concurrently read request stream) and a handler's response generator.
 */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  /** Adds a value; ignored once the queue has ended or failed. */
  push(value: T): void;
  /** Ends iteration after the buffered values have been read. */
  end(): void;
  /** Ends iteration with an error after the buffered values have been read. */
  fail(reason: unknown): void;
  /** Resolves once the reader has taken every buffered value, or the queue has ended. */
  drained(): Promise<void>;
}

export interface AsyncQueueOptions {
  /**
   * The most values held for a reader that does not keep up. Past it the queue fails with
   * RESOURCE_EXHAUSTED instead of growing without bound. Default: 10,000.
   */
  maxBuffered?: number;
}

export function createAsyncQueue<T>(options: AsyncQueueOptions = {}): AsyncQueue<T> {
  const maxBuffered = options.maxBuffered ?? 10_000;
  const buffer: T[] = [];
  let closed = false;
  let failure: { reason: unknown } | undefined;
  let wake: (() => void) | undefined;
  let onDrained: (() => void)[] = [];

  function releaseDrained(): void {
    const waiting = onDrained;
    onDrained = [];
    for (const resolve of waiting) resolve();
  }

  function notify(): void {
    const w = wake;
    wake = undefined;
    w?.();
  }

  const queue: AsyncQueue<T> = {
    push(value) {
      if (closed) return;
      if (buffer.length >= maxBuffered) {
        queue.fail(
          new ConnectError(
            `stream fell more than ${maxBuffered} messages behind; reconnect to resume`,
            Code.ResourceExhausted,
          ),
        );
        return;
      }
      buffer.push(value);
      notify();
    },
    end() {
      closed = true;
      notify();
      releaseDrained();
    },
    fail(reason) {
      if (closed) return;
      closed = true;
      failure = { reason };
      notify();
      releaseDrained();
    },
    drained() {
      if (buffer.length === 0 || closed) return Promise.resolve();
      return new Promise<void>((resolve) => onDrained.push(resolve));
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (buffer.length > 0) {
          const value = buffer.shift() as T;
          if (buffer.length === 0) releaseDrained();
          yield value;
          continue;
        }
        if (closed) {
          if (failure) throw failure.reason;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  return queue;
}

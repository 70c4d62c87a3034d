import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageSink } from "./push-stream.js";

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
  /**
   * Delivers by push instead of iteration: every value (buffered ones first) goes to the sink as
   * it is pushed, and the end once the buffer is empty. While the sink says it is full, values are
   * buffered as for a slow reader. `detach` drops the sink and ends the queue without telling it.
   */
  attach(sink: MessageSink<T>): { resume(): void; detach(): void };
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
  let sink: MessageSink<T> | undefined;
  let paused = false;
  let endDelivered = false;

  /** Push mode: hands buffered values to the sink while it takes them, then the end. */
  function flush(): void {
    const target = sink;
    if (target === undefined) return;
    while (buffer.length > 0 && !paused) offer(target, buffer.shift() as T);
    if (buffer.length === 0) releaseDrained();
    if (closed && buffer.length === 0 && !endDelivered && sink === target) {
      endDelivered = true;
      target.end(failure?.reason);
    }
  }

  function offer(target: MessageSink<T>, value: T): void {
    try {
      if (!target.next(value)) paused = true;
    } catch (error) {
      // A transport's fault must not reach the hub delivering to every subscriber.
      buffer.length = 0;
      queue.fail(error);
    }
  }

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
      if (sink !== undefined && !paused && buffer.length === 0) return offer(sink, value);
      buffer.push(value);
      notify();
    },
    end() {
      closed = true;
      notify();
      flush();
      releaseDrained();
    },
    fail(reason) {
      if (closed) return;
      closed = true;
      failure = { reason };
      notify();
      flush();
      releaseDrained();
    },
    attach(target) {
      sink = target;
      flush();
      return {
        resume() {
          paused = false;
          flush();
        },
        detach() {
          sink = undefined;
          closed = true;
          buffer.length = 0;
          releaseDrained();
        },
      };
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

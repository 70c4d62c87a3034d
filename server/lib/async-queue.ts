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
  return new Queue<T>(options.maxBuffered ?? 10_000);
}

/**
 * A class rather than a closure per method: a live stream keeps its queue for hours, and
 * prototype methods cost nothing per stream. `fail` and `drained` are bound (callers hand them
 * on as callbacks).
 */
class Queue<T> implements AsyncQueue<T> {
  private readonly buffer: T[] = [];
  private closed = false;
  private failure: { reason: unknown } | undefined;
  private wake: (() => void) | undefined;
  private onDrained: (() => void)[] | undefined;
  private sink: MessageSink<T> | undefined;
  private paused = false;
  private endDelivered = false;

  constructor(private readonly maxBuffered: number) {}

  push(value: T): void {
    if (this.closed) return;
    if (this.buffer.length >= this.maxBuffered) {
      this.fail(new ConnectError(`stream fell more than ${this.maxBuffered} messages behind; reconnect to resume`, Code.ResourceExhausted));
      return;
    }
    if (this.sink !== undefined && !this.paused && this.buffer.length === 0) return this.offer(this.sink, value);
    this.buffer.push(value);
    this.notify();
  }

  end(): void {
    this.closed = true;
    this.notify();
    this.flush();
    this.releaseDrained();
  }

  readonly fail = (reason: unknown): void => {
    if (this.closed) return;
    this.closed = true;
    this.failure = { reason };
    this.notify();
    this.flush();
    this.releaseDrained();
  };

  readonly drained = (): Promise<void> => {
    if (this.buffer.length === 0 || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => (this.onDrained ??= []).push(resolve));
  };

  attach(target: MessageSink<T>): { resume(): void; detach(): void } {
    this.sink = target;
    this.flush();
    return this;
  }

  /** Push mode, after a pause: hands on what is buffered while the sink takes it. */
  resume(): void {
    this.paused = false;
    this.flush();
  }

  /** Push mode: drops the sink and ends the queue without telling it. */
  detach(): void {
    this.sink = undefined;
    this.closed = true;
    this.buffer.length = 0;
    this.releaseDrained();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.buffer.length > 0) {
        const value = this.buffer.shift() as T;
        if (this.buffer.length === 0) this.releaseDrained();
        yield value;
        continue;
      }
      if (this.closed) {
        if (this.failure) throw this.failure.reason;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Push mode: hands buffered values to the sink while it takes them, then the end. */
  private flush(): void {
    const target = this.sink;
    if (target === undefined) return;
    while (this.buffer.length > 0 && !this.paused) this.offer(target, this.buffer.shift() as T);
    if (this.buffer.length === 0) this.releaseDrained();
    if (this.closed && this.buffer.length === 0 && !this.endDelivered && this.sink === target) {
      this.endDelivered = true;
      target.end(this.failure?.reason);
    }
  }

  private offer(target: MessageSink<T>, value: T): void {
    try {
      if (!target.next(value)) this.paused = true;
    } catch (error) {
      // A transport's fault must not reach the hub delivering to every subscriber.
      this.buffer.length = 0;
      this.fail(error);
    }
  }

  private releaseDrained(): void {
    const waiting = this.onDrained;
    if (waiting === undefined) return;
    this.onDrained = undefined;
    for (const resolve of waiting) resolve();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * Live streams that can be delivered by push as well as read by pull.
 *
 * connect-node reads a handler's response stream as an async iterable, and so do the
 * interceptors that wrap it. For a live subscription that means a chain of async generators per
 * subscriber, each message hopping through every one of them: with a thousand subscribers, a
 * thousand such walks per note. A push-capable stream also lets a transport that knows the
 * protocol (the lean paths) attach a sink: the hub's callback then hands each message straight
 * to the transport's write, through the interceptors' hooks but through no generator.
 */

/** What a transport attaches to a push-capable stream. */
export interface MessageSink<T> {
  /** One message. Returns false when the transport cannot take more for now: call `resume` on the returned control when it can. */
  next(message: T): boolean;
  /** The stream is over: `error` undefined for success. Called once. */
  end(error: unknown): void;
}

export interface PushControl {
  /** The transport can take messages again (after next() returned false). */
  resume(): void;
  /** Stops the source and releases what it holds (a hub subscription), without ending the sink. */
  cancel(): void;
}

export const attachSink = Symbol("attach a message sink");

/** An async iterable that can also be delivered by push. Either read it or attach to it, once. */
export interface PushCapable<T> extends AsyncIterable<T> {
  [attachSink](sink: MessageSink<T>): PushControl;
}

export function isPushCapable<T>(messages: AsyncIterable<T>): messages is PushCapable<T> {
  return typeof (messages as Partial<PushCapable<T>>)[attachSink] === "function";
}

/** What a wrapper does around a stream it passes on. */
export interface StreamHooks<T, U> {
  /** Each message on its way out. Default: unchanged. */
  map?(message: T): U;
  /** The stream failed: the error to pass on instead (e.g. a fault hidden behind INTERNAL). Default: unchanged. */
  mapError?(error: unknown): unknown;
  /** The stream is over, with the error passed on (undefined for success); after mapError. */
  onEnd?(error: unknown): void;
  /** Runs the inner stream's work (its start and each read) inside, e.g., a tracing context. */
  around?<R>(work: () => R): R;
}

/**
 * `messages` with the hooks applied, keeping the ability to be pushed: interceptors wrap
 * response streams with this instead of an async generator of their own, so that a stream that
 * could be pushed still can be after every interceptor has wrapped it. (Classes, not closures:
 * a live stream keeps its wrappers for hours, and prototype methods cost nothing per stream.)
 */
export function wrapStream<T, U = T>(messages: AsyncIterable<T>, hooks: StreamHooks<T, U>): AsyncIterable<U> {
  return isPushCapable(messages) ? new PushableWrappedStream(messages, hooks) : new WrappedStream(messages, hooks);
}

class WrappedStream<T, U> implements AsyncIterable<U> {
  constructor(
    protected readonly source: AsyncIterable<T>,
    protected readonly hooks: StreamHooks<T, U>,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<U> {
    return pullThrough(this.source, this.hooks);
  }
}

class PushableWrappedStream<T, U> extends WrappedStream<T, U> implements PushCapable<U> {
  [attachSink](sink: MessageSink<U>): PushControl {
    const relay = new Relay(this.hooks, sink);
    const source = this.source as PushCapable<T>;
    const attach = () => source[attachSink](relay);
    relay.control = this.hooks.around === undefined ? attach() : this.hooks.around(attach);
    return relay.control;
  }
}

/** What a pushed stream's wrapper hands on: each message mapped, the end with the error mapped and observed. */
class Relay<T, U> implements MessageSink<T> {
  control: PushControl | undefined;
  private ended = false;

  constructor(
    private readonly hooks: StreamHooks<T, U>,
    private readonly sink: MessageSink<U>,
  ) {}

  next(message: T): boolean {
    if (this.ended) return true;
    let mapped: U;
    try {
      mapped = this.hooks.map === undefined ? (message as unknown as U) : this.hooks.map(message);
    } catch (error) {
      // The source does not know: stop it, then end the stream with the fault.
      this.control?.cancel();
      this.end(error);
      return true;
    }
    return this.sink.next(mapped);
  }

  end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const passed = error === undefined || this.hooks.mapError === undefined ? error : this.hooks.mapError(error);
    this.hooks.onEnd?.(passed);
    this.sink.end(passed);
  }
}

/** Reading a wrapped stream: each message mapped, a failure mapped, the end observed; a reader that stops early closes the source. */
async function* pullThrough<T, U>(messages: AsyncIterable<T>, hooks: StreamHooks<T, U>): AsyncGenerator<U> {
  const iterator = messages[Symbol.asyncIterator]();
  let failure: unknown;
  let done = false;
  try {
    for (;;) {
      const result = await (hooks.around === undefined ? iterator.next() : hooks.around(() => iterator.next()));
      if (result.done) {
        done = true;
        return;
      }
      yield hooks.map === undefined ? (result.value as unknown as U) : hooks.map(result.value);
    }
  } catch (error) {
    failure = hooks.mapError === undefined ? error : hooks.mapError(error);
    done = true;
    throw failure;
  } finally {
    if (!done) await iterator.return?.();
    hooks.onEnd?.(failure);
  }
}

/** What a transport writes to: it says "drain" when it can take more, "close" when it is gone. */
export interface Writable {
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * Delivers a push-capable stream to a transport: `write` takes each message as the source hands
 * it over and returns false when `target` is full; the source then holds messages until
 * `target` drains or closes. Resolves with the stream's end (undefined for success).
 */
export function deliverByPush<T>(messages: PushCapable<T>, target: Writable, write: (message: T) => boolean): Promise<unknown> {
  return new Promise((resolve) => {
    let control: PushControl | undefined;
    const resume = () => {
      target.off("drain", resume);
      target.off("close", resume);
      control?.resume();
    };
    control = messages[attachSink]({
      next(message) {
        if (write(message)) return true;
        target.once("drain", resume);
        target.once("close", resume);
        return false;
      },
      end: resolve,
    });
  });
}

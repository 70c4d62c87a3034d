import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { type AsyncQueue, createAsyncQueue } from "./async-queue.js";
import { attachSink, type MessageSink, type PushCapable, type PushControl } from "./push-stream.js";

/**
 * The response side of a live stream. `start` wires sources into the queue and returns the
 * cleanup. The stream ends when the queue ends or fails, or when the call is cancelled or
 * its deadline passes; the cleanup runs in every case, so no hub subscription outlives its call.
 *
 * It is read as an async iterable (connect-node), or a lean transport attaches a sink to it
 * (push-stream.ts): then each value pushed into the queue goes straight to the transport.
 */
export function streamUntilDone<T>(context: HandlerContext, start: (queue: AsyncQueue<T>) => () => void): PushCapable<T> {
  return new LiveStream(context, start);
}

/** A class rather than closures: a live stream keeps this for hours, and prototype methods cost nothing per stream. */
class LiveStream<T> implements PushCapable<T> {
  constructor(
    private readonly context: HandlerContext,
    private readonly start: (queue: AsyncQueue<T>) => () => void,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return pullUntilDone(this.context, this.start);
  }

  [attachSink](sink: MessageSink<T>): PushControl {
    return new PushedLiveStream(this.context, this.start, sink);
  }
}

/**
 * A live stream delivered by push: the queue hands each value to the transport's sink. It is
 * its own abort listener (handleEvent): no closures per stream.
 */
class PushedLiveStream<T> implements MessageSink<T>, PushControl {
  private readonly queue = createAsyncQueue<T>();
  private readonly sources = new Sources();
  private readonly control: { resume(): void; detach(): void };

  constructor(
    private readonly context: HandlerContext,
    start: (queue: AsyncQueue<T>) => () => void,
    private readonly sink: MessageSink<T>,
  ) {
    this.control = this.queue.attach(this);
    context.signal.addEventListener("abort", this);
    try {
      this.sources.hold(start(this.queue));
    } catch (error) {
      this.queue.fail(error);
    }
    if (context.signal.aborted) this.handleEvent();
  }

  /** Cancellation (deadline, client gone, shutdown): the stream ends with its reason, and the sources are released at once. */
  handleEvent(): void {
    this.queue.fail(cancellationOf(this.context));
    this.sources.release();
  }

  next(value: T): boolean {
    return this.sink.next(value);
  }

  end(error: unknown): void {
    this.finish();
    this.sink.end(error);
  }

  resume(): void {
    this.control.resume();
  }

  cancel(): void {
    this.control.detach();
    this.finish();
  }

  private finish(): void {
    this.context.signal.removeEventListener("abort", this);
    this.sources.release();
  }
}

async function* pullUntilDone<T>(context: HandlerContext, start: (queue: AsyncQueue<T>) => () => void): AsyncGenerator<T> {
  const queue = createAsyncQueue<T>();
  const sources = new Sources();
  // A generator parked on an empty queue never sees return(), so cancellation must end the
  // queue. Its reason is the status the client gets where it is still listening: the
  // deadline's DEADLINE_EXCEEDED, or UNAVAILABLE when the server shuts down. The sources are
  // released at once too, not only when the generator finishes: a transport stuck writing
  // to a dead connection might never resume it.
  const stop = () => {
    queue.fail(cancellationOf(context));
    sources.release();
  };
  context.signal.addEventListener("abort", stop);
  try {
    sources.hold(start(queue));
    if (context.signal.aborted) stop();
    yield* queue;
  } finally {
    context.signal.removeEventListener("abort", stop);
    sources.release();
  }
}

function cancellationOf(context: HandlerContext): ConnectError {
  return ConnectError.from(context.signal.reason, Code.Canceled);
}

/**
 * The cleanup of a stream's sources, run once: at once if the stream ended before `start`
 * returned it. (A class: a pushed live stream keeps one for hours.)
 */
class Sources {
  private cleanup: (() => void) | undefined;
  private released = false;

  hold(run: () => void): void {
    if (this.released) run();
    else this.cleanup = run;
  }

  release(): void {
    this.released = true;
    const run = this.cleanup;
    this.cleanup = undefined;
    run?.();
  }
}

/**
 * Reads a request stream one message at a time until it ends or the call is cancelled. Used
 * by bidi handlers, which read requests concurrently with writing responses.
 */
export async function consumeRequests<T>(
  requests: AsyncIterable<T>,
  context: HandlerContext,
  handle: (request: T) => Promise<void>,
): Promise<void> {
  for await (const request of requests) {
    if (context.signal.aborted) return;
    await handle(request);
  }
}

/**
 * Heartbeats on a live stream: one at once (so a client sees the stream open before anything
 * else is sent; servers send no headers before the first message) and then one per interval.
 * Returns the function that stops them, for the stream's cleanup.
 */
export function startHeartbeats<T>(queue: AsyncQueue<T>, heartbeat: T, intervalMs: number): () => void {
  queue.push(heartbeat);
  const timer = setInterval(() => queue.push(heartbeat), intervalMs);
  return () => clearInterval(timer);
}

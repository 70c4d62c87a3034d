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
 * could be pushed still can be after every interceptor has wrapped it.
 *
 * Wrapping a wrapped stream adds a stage to it rather than a layer around it: however many
 * interceptors wrap a stream, each message is mapped by one loop and read through one
 * generator (or, pushed, one relay), and a live stream holds one wrapper for hours instead of
 * one per interceptor. A wrapped stream is consumed by wrapping it again.
 */
export function wrapStream<T, U = T>(messages: AsyncIterable<T>, hooks: StreamHooks<T, U>): AsyncIterable<U> {
  const wrapped = messages instanceof WrappedStream;
  const source: AsyncIterable<unknown> = wrapped ? messages.source : messages;
  const stages: AnyHooks[] = wrapped ? [...messages.stages, hooks as AnyHooks] : [hooks as AnyHooks];
  return (isPushCapable(source) ? new PushableWrappedStream(source, stages) : new WrappedStream(source, stages)) as AsyncIterable<U>;
}

type AnyHooks = StreamHooks<unknown, unknown>;

class WrappedStream implements AsyncIterable<unknown> {
  constructor(
    /** The stream the first stage wraps. */
    readonly source: AsyncIterable<unknown>,
    /** The hooks, innermost (the first wrapper) first. */
    readonly stages: readonly AnyHooks[],
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return pullThrough(this.source, this.stages);
  }
}

class PushableWrappedStream extends WrappedStream implements PushCapable<unknown> {
  [attachSink](sink: MessageSink<unknown>): PushControl {
    const relay = new Relay(this.stages, sink);
    const source = this.source as PushCapable<unknown>;
    relay.control = aroundAll(this.stages, () => source[attachSink](relay))();
    return relay.control;
  }
}

/** `work` inside every stage's `around`, the outermost stage's outermost, as nested wrappers would run it. */
function aroundAll<R>(stages: readonly AnyHooks[], work: () => R): () => R {
  let run = work;
  for (const stage of stages) {
    if (stage.around === undefined) continue;
    const inner = run;
    // Called on the stage, as every hook is: hooks may be objects with methods (observe-calls.ts).
    run = () => (stage.around as (work: () => R) => R).call(stage, inner);
  }
  return run;
}

/**
 * Ends the stages as nested wrappers would end: a failure passes each stage's mapError from
 * stage `from` outwards, each stage observing the error it passes on; the stages inside `from`
 * (a stage's map failed) end as if their reader had stopped. Returns the error passed on.
 */
function endStages(stages: readonly AnyHooks[], error: unknown, from: number): unknown {
  let passed = error;
  for (let index = 0; index < stages.length; index++) {
    const stage = stages[index] as AnyHooks;
    if (index < from) {
      stage.onEnd?.(undefined);
      continue;
    }
    if (passed !== undefined && stage.mapError !== undefined) passed = stage.mapError(passed);
    stage.onEnd?.(passed);
  }
  return passed;
}

/** What mapThrough returns when a stage's map throws; the stage and the error are in `mapFailure`, read at once. */
const MAP_FAILED = Symbol("a stage's map failed");
const mapFailure = { stage: 0, error: undefined as unknown };

/** A message through every stage's map (no allocation per message: this runs for every message of every stream). */
function mapThrough(stages: readonly AnyHooks[], message: unknown): unknown {
  let value = message;
  let index = 0;
  try {
    for (; index < stages.length; index++) {
      const stage = stages[index] as AnyHooks;
      if (stage.map !== undefined) value = stage.map(value);
    }
  } catch (error) {
    mapFailure.stage = index;
    mapFailure.error = error;
    return MAP_FAILED;
  }
  return value;
}

/** What a pushed stream's wrapper hands on: each message mapped, the end with the error mapped and observed. */
class Relay implements MessageSink<unknown> {
  control: PushControl | undefined;
  private ended = false;

  constructor(
    private readonly stages: readonly AnyHooks[],
    private readonly sink: MessageSink<unknown>,
  ) {}

  next(message: unknown): boolean {
    if (this.ended) return true;
    const mapped = mapThrough(this.stages, message);
    if (mapped !== MAP_FAILED) return this.sink.next(mapped);
    const { stage, error } = mapFailure;
    // The source does not know: stop it, then end the stream with the fault.
    this.control?.cancel();
    this.finish(error, stage);
    return true;
  }

  end(error: unknown): void {
    this.finish(error, 0);
  }

  private finish(error: unknown, from: number): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.end(endStages(this.stages, error, from));
  }
}

/** Reading a wrapped stream: each message mapped, a failure mapped, the end observed; a reader that stops early closes the source. */
async function* pullThrough(source: AsyncIterable<unknown>, stages: readonly AnyHooks[]): AsyncGenerator<unknown> {
  const iterator = source[Symbol.asyncIterator]();
  const read = aroundAll(stages, () => iterator.next());
  /** Whether the source is over (ended or failed): it needs no return(). */
  let sourceDone = false;
  let ended = false;
  try {
    for (;;) {
      let result: IteratorResult<unknown>;
      try {
        result = await read();
      } catch (error) {
        sourceDone = ended = true;
        throw endStages(stages, error, 0);
      }
      if (result.done) {
        sourceDone = true;
        return;
      }
      const mapped = mapThrough(stages, result.value);
      if (mapped === MAP_FAILED) {
        const { stage, error } = mapFailure;
        ended = true;
        await iterator.return?.();
        throw endStages(stages, error, stage);
      }
      yield mapped;
    }
  } finally {
    if (!ended) {
      if (!sourceDone) await iterator.return?.();
      endStages(stages, undefined, 0);
    }
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

import { Code, ConnectError } from "@connectrpc/connect";
import { type Closable, unwatchClose, watchClose } from "./stream-close.js";
import { LinkedList } from "../lib/linked-list.js";

export interface CallLifetimeOptions {
  /** The call's deadline from now, if the client set one. */
  timeoutMs: number | undefined;
  /** Aborts the call when the server begins to shut down. */
  shutdownSignal: AbortSignal | undefined;
  /** Emits "close" when the client has gone (an HTTP/2 stream, or an HTTP response); watched through the transport's listener where it relays it (stream-close.ts). */
  connection: Closable;
  /** Answers the call when its deadline passes: DEADLINE_EXCEEDED goes out at once, whatever the handler is doing. */
  onDeadline(error: ConnectError): void;
}

export interface CallLifetime {
  /** Aborted by the deadline, by the client going away, or by the server shutting down. */
  signal: AbortSignal;
  /** What is left of the deadline, in ms; undefined without one. */
  timeoutMs(): number | undefined;
  /** Stops watching: call once the call has ended. */
  release(): void;
}

/**
 * The signal and deadline of one call on a lean path. (A class, and one shutdown listener for
 * all calls: a live stream keeps its lifetime for hours, and a closure each for the deadline,
 * the shutdown and the release, and a listener on the shared shutdown signal, add up over
 * tens of thousands of them.)
 */
export function createCallLifetime(options: CallLifetimeOptions): CallLifetime {
  return new Lifetime(options);
}

const noDeadline = () => undefined;

class Lifetime implements CallLifetime {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly connection: CallLifetimeOptions["connection"];
  private readonly shutdownCalls: LinkedList<Lifetime> | undefined;
  /** Neighbours in shutdownCalls (a list through the calls themselves: nothing allocated a call). */
  previous: Lifetime | undefined = undefined;
  next: Lifetime | undefined = undefined;
  readonly timeoutMs: () => number | undefined;

  constructor(options: CallLifetimeOptions) {
    const { timeoutMs, shutdownSignal, connection } = options;
    this.connection = connection;
    if (timeoutMs === undefined) {
      this.timeoutMs = noDeadline;
    } else {
      // Whole milliseconds, as connect-node keeps its deadline (a Date): a grpc-timeout in micro- or
      // nanoseconds (Go clients send "u") must not reach handlers as a fraction from timeoutMs().
      const deadlineAt = Math.trunc(Date.now() + timeoutMs);
      this.timeoutMs = () => deadlineAt - Date.now();
      this.timer = setTimeout(() => {
        const error = new ConnectError("the operation timed out", Code.DeadlineExceeded);
        this.abort(error);
        options.onDeadline(error);
      }, timeoutMs);
    }
    if (shutdownSignal !== undefined) {
      this.shutdownCalls = callsUntil(shutdownSignal);
      if (shutdownSignal.aborted) this.shutDown(shutdownSignal);
      else this.shutdownCalls.append(this);
    }
    watchClose(connection, this.onClose); // "close" comes once; `once` would add a wrapper per call
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  release(): void {
    clearTimeout(this.timer);
    this.shutdownCalls?.remove(this);
    unwatchClose(this.connection, this.onClose);
  }

  shutDown(shutdownSignal: AbortSignal): void {
    this.abort(ConnectError.from(shutdownSignal.reason, Code.Unavailable));
  }

  private readonly onClose = () => this.abort(new ConnectError("operation was canceled", Code.Canceled));

  private abort(reason: ConnectError): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}

/** The calls to abort when `shutdownSignal` aborts, with one listener for all of them. */
const shutdownRegistry = new WeakMap<AbortSignal, LinkedList<Lifetime>>();

function callsUntil(shutdownSignal: AbortSignal): LinkedList<Lifetime> {
  let calls = shutdownRegistry.get(shutdownSignal);
  if (calls === undefined) {
    const live = new LinkedList<Lifetime>();
    calls = live;
    shutdownRegistry.set(shutdownSignal, live);
    shutdownSignal.addEventListener("abort", () => {
      for (const call of live.takeAll()) call.shutDown(shutdownSignal);
    }, { once: true });
  }
  return calls;
}

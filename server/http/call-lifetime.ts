import { Code, ConnectError } from "@connectrpc/connect";

export interface CallLifetimeOptions {
  /** The call's deadline from now, if the client set one. */
  timeoutMs: number | undefined;
  /** Aborts the call when the server begins to shut down. */
  shutdownSignal: AbortSignal | undefined;
  /** Emits "close" when the client has gone (an HTTP/2 stream, or an HTTP response). */
  connection: { once(event: "close", listener: () => void): unknown; removeListener(event: "close", listener: () => void): unknown };
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

/** The signal and deadline of one call on a lean path. */
export function createCallLifetime(options: CallLifetimeOptions): CallLifetime {
  const { timeoutMs, shutdownSignal, connection } = options;
  const controller = new AbortController();
  const abort = (reason: ConnectError) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onShutdown = () => abort(ConnectError.from(shutdownSignal?.reason, Code.Unavailable));
  const onClose = () => abort(new ConnectError("operation was canceled", Code.Canceled));
  // Whole milliseconds, as connect-node keeps its deadline (a Date): a grpc-timeout in micro- or
  // nanoseconds (Go clients send "u") must not reach handlers as a fraction from timeoutMs().
  const deadlineAt = timeoutMs === undefined ? undefined : Math.trunc(Date.now() + timeoutMs);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          const error = new ConnectError("the operation timed out", Code.DeadlineExceeded);
          abort(error);
          options.onDeadline(error);
        }, timeoutMs);
  shutdownSignal?.addEventListener("abort", onShutdown);
  if (shutdownSignal?.aborted) onShutdown();
  connection.once("close", onClose);
  return {
    signal: controller.signal,
    timeoutMs: () => (deadlineAt === undefined ? undefined : deadlineAt - Date.now()),
    release() {
      clearTimeout(timer);
      shutdownSignal?.removeEventListener("abort", onShutdown);
      connection.removeListener("close", onClose);
    },
  };
}

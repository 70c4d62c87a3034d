import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { retryDelayMs } from "../server/limits/retry-info.js";

export interface RetryHintOptions {
  /** Tries in all, the first included. Default: 3. */
  maxAttempts?: number;
  /** A longer wait than this is not waited for: the error is reported. Default: 30,000 ms. */
  maxDelayMs?: number;
  /** Told before each wait (the CLI prints it on stderr). */
  onWait?: (delayMs: number, error: ConnectError) => void;
}

/**
 * Retries a unary call after the delay a google.rpc.RetryInfo detail asks for, when retrying is
 * safe: RESOURCE_EXHAUSTED from this server's limits (refused before anything changed), or any
 * hinted error on a method declared free of side effects (UNAVAILABLE from a replica shutting down).
 */
export function honourRetryHints(options: RetryHintOptions = {}): Interceptor {
  const maxAttempts = options.maxAttempts ?? 3;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  return (next) => async (request) => {
    if (request.stream) return next(request);
    const idempotent = request.method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(request);
      } catch (caught) {
        const error = ConnectError.from(caught);
        const delayMs = retryDelayMs(error);
        const safe = error.code === Code.ResourceExhausted || idempotent;
        if (delayMs === undefined || !safe || attempt >= maxAttempts || delayMs > maxDelayMs || request.signal.aborted) throw caught;
        options.onWait?.(delayMs, error);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  };
}

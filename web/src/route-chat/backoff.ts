import { ConnectError } from "@connectrpc/connect";
import { RetryInfoSchema } from "../../../gen/google/rpc/error_details_pb";

export interface BackoffOptions {
  /** First delay in ms. Default: 500. */
  initialMs?: number;
  /** Longest delay in ms. Default: 10,000. */
  maxMs?: number;
  /** Default: Math.random. */
  random?: () => number;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): doubling from initialMs up to maxMs,
 * with "equal jitter" (between half and all of it) so many tabs don't reconnect in lockstep
 * after a server restart.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 10_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after ms, or at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * Delay before reconnect attempt `attempt` after `error`: the backoff, or longer if the server
 * said when to come back (a google.rpc.RetryInfo detail, e.g. on UNAVAILABLE from a replica
 * shutting down, or RESOURCE_EXHAUSTED from a limit).
 */
export function reconnectDelay(attempt: number, error: unknown, options: BackoffOptions = {}): number {
  return Math.max(backoffDelay(attempt, options), retryHintMs(error) ?? 0);
}

/** The wait a google.rpc.RetryInfo detail on the error asks for, in ms; undefined without one. */
export function retryHintMs(error: unknown): number | undefined {
  const [info] = ConnectError.from(error).findDetails(RetryInfoSchema);
  const delay = info?.retryDelay;
  return delay === undefined ? undefined : Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1_000_000);
}

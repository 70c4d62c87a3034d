import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/**
 * An error that tells the client when to try again: the message says it in words and a
 * google.rpc.RetryInfo detail says it to programs (grpc-status-details-bin on gRPC and
 * gRPC-Web, "details" in Connect's error JSON).
 */
export function retryableError(message: string, code: Code, retryAfterMs: number): ConnectError {
  const delayMs = Math.max(1, Math.ceil(retryAfterMs));
  const retryDelay = create(DurationSchema, {
    seconds: BigInt(Math.floor(delayMs / 1000)),
    nanos: (delayMs % 1000) * 1_000_000,
  });
  return new ConnectError(`${message}; retry in ${formatDelay(delayMs)}`, code, undefined, [
    { desc: RetryInfoSchema, value: { retryDelay } },
  ]);
}

/** The client should slow down: a rate or a capacity limit was reached. */
export function tooMany(message: string, retryAfterMs: number): ConnectError {
  return retryableError(message, Code.ResourceExhausted, retryAfterMs);
}

/** The delay a RetryInfo detail on `error` asks for, in ms, or undefined. */
export function retryDelayMs(error: ConnectError): number | undefined {
  const [info] = error.findDetails(RetryInfoSchema);
  const delay = info?.retryDelay;
  return delay === undefined ? undefined : Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1_000_000);
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

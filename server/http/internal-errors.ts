import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { isClientMistake } from "./wire-status.js";
import { wrapStream } from "../lib/push-stream.js";
import { procedureName } from "../lib/per-method.js";

/**
 * Keeps server faults off the wire. Errors that handlers raise on purpose (ConnectError) pass
 * unchanged, except connect-node's INTERNAL for a caller's malformed stream message, which
 * becomes INVALID_ARGUMENT; so does the fallout of a call the client cancelled or let expire (reading its
 * request stream fails then), answered with the cancellation's own code. Anything else (a
 * database failure, a bug) reaches the client as INTERNAL with a generic message, the
 * original kept as `cause` and reported to the server's logs.
 */
export function hideInternalErrors(report: (error: unknown, procedure: string) => void): Interceptor {
  return (next) => async (request) => {
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: wrapStream(response.message, new StreamFaults(request, report)) };
    } catch (error) {
      throw sanitize(error, request, report);
    }
  };
}

type Call = Parameters<Parameters<Interceptor>[0]>[0];

/** A stream's hooks (mapError), as an object rather than a closure: a live stream keeps it for hours. */
class StreamFaults {
  constructor(
    private readonly request: Call,
    private readonly report: (error: unknown, procedure: string) => void,
  ) {}

  mapError(error: unknown): ConnectError {
    return sanitize(error, this.request, this.report);
  }
}

function sanitize(error: unknown, request: Call, report: (error: unknown, procedure: string) => void): ConnectError {
  if (error instanceof ConnectError) {
    // connect-node reports a malformed message in a request stream as INTERNAL; it is the caller's.
    if (error.code === Code.Internal && isClientMistake(error.rawMessage)) {
      const corrected = new ConnectError(error.rawMessage, Code.InvalidArgument, error.metadata, undefined, error.cause);
      corrected.details.push(...error.details);
      return corrected;
    }
    return error;
  }
  if (request.signal.aborted) return ConnectError.from(request.signal.reason, Code.Canceled);
  report(error, procedureName(request.method));
  return new ConnectError("internal server error", Code.Internal, undefined, undefined, error);
}

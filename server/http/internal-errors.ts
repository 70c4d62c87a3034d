import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { isClientMistake } from "./wire-status.js";
import { wrapStream } from "../lib/push-stream.js";

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
    const procedure = `${request.service.typeName}/${request.method.name}`;
    const sanitize = (error: unknown): ConnectError => {
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
      report(error, procedure);
      return new ConnectError("internal server error", Code.Internal, undefined, undefined, error);
    };
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: wrapStream(response.message, { mapError: sanitize }) };
    } catch (error) {
      throw sanitize(error);
    }
  };
}

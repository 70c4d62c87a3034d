import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Keeps server faults off the wire. Errors that handlers raise on purpose (ConnectError) pass
 * unchanged; so does the fallout of a call the client cancelled or let expire (reading its
 * request stream fails then), answered with the cancellation's own code. Anything else (a
 * database failure, a bug) reaches the client as INTERNAL with a generic message, the
 * original kept as `cause` and reported to the server's logs.
 */
export function hideInternalErrors(report: (error: unknown, procedure: string) => void): Interceptor {
  return (next) => async (request) => {
    const procedure = `${request.service.typeName}/${request.method.name}`;
    const sanitize = (error: unknown): ConnectError => {
      if (error instanceof ConnectError) return error;
      if (request.signal.aborted) return ConnectError.from(request.signal.reason, Code.Canceled);
      report(error, procedure);
      return new ConnectError("internal server error", Code.Internal, undefined, undefined, error);
    };
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: sanitizeStream(response.message, sanitize) };
    } catch (error) {
      throw sanitize(error);
    }
  };
}

async function* sanitizeStream<T>(
  messages: AsyncIterable<T>,
  sanitize: (error: unknown) => ConnectError,
): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw sanitize(error);
  }
}

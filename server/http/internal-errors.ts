import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Keeps server faults off the wire. Errors that handlers raise on purpose (ConnectError) pass
 * unchanged; anything else (a database failure, a bug) reaches the client as INTERNAL with a
 * generic message and the original kept as `cause` for the server's logs.
 */
export function hideInternalErrors(report: (error: unknown, procedure: string) => void): Interceptor {
  return (next) => async (request) => {
    const procedure = `${request.service.typeName}/${request.method.name}`;
    const sanitize = (error: unknown): ConnectError => {
      if (error instanceof ConnectError) return error;
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

import { Code, ConnectError } from "@connectrpc/connect";

/** What callers see when the database cannot be reached; the driver's error stays in `cause`. */
export const DATABASE_UNAVAILABLE = "database unavailable; retry shortly";

/**
 * Runs `work`, turning a lost or refused connection, or a statement cancelled by its timeout,
 * into UNAVAILABLE (clients may retry; health reports it too). Other errors pass unchanged.
 */
export async function unavailableOnConnectionLoss<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isConnectionLoss(error)) throw new ConnectError(DATABASE_UNAVAILABLE, Code.Unavailable, undefined, undefined, error);
    throw error;
  }
}

const NODE_NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (NODE_NETWORK_CODES.has(code)) return true;
    // SQLSTATE: 08 connection exceptions, 57P01-03 server shutting down or starting, 57014 cancelled (statement_timeout).
    if (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === "57014") return true;
  }
  // pg's own wording when a connection ends mid-query or cannot be had in time.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed/i.test(error.message);
}

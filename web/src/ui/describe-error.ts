import { Code, ConnectError } from "@connectrpc/connect";
import { codeName } from "../api/protocols";

/** What went wrong, in words a person can act on, with the gRPC code for developers. */
export function describeError(error: unknown): string {
  const connectError = ConnectError.from(error);
  const code = codeName(connectError.code);
  switch (connectError.code) {
    case Code.Unavailable:
    case Code.Unknown:
      if (/fetch|network|load failed/i.test(connectError.rawMessage) || connectError.code === Code.Unavailable) {
        return `Cannot reach the server. Check that it is running, then retry. (${code}: ${connectError.rawMessage})`;
      }
      return `${connectError.rawMessage} (${code})`;
    case Code.Unauthenticated:
      return `Please log in to see this. (${code}: ${connectError.rawMessage})`;
    case Code.DeadlineExceeded:
      return `The server took too long to answer. (${code})`;
    default:
      return `${connectError.rawMessage} (${code})`;
  }
}

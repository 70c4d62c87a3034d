import { Code } from "@connectrpc/connect";

/** "DeadlineExceeded" -> "DEADLINE_EXCEEDED", the name gRPC users know. */
export function grpcCodeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

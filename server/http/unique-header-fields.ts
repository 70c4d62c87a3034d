import { type OutgoingHttpHeaders, sensitiveHeaders } from "node:http2";

/**
 * Response header fields whose value is new on every call: the request id observeCalls echoes.
 * HPACK adds each field it sends to the connection's table, so that a later response can refer
 * back to it; a value that never comes again only pushes out of the table the ones that do
 * (content-type, grpc-status), and costs nghttp2 an insertion and an eviction per response. These
 * go out as never-indexed literals instead (Node's `sensitiveHeaders`): the value takes the same
 * bytes as before, the name about 13 more, and a unary gRPC call 4.6k fewer instructions, 2.2%
 * (bench/RESULTS.md, "Issue 13, sixth stop").
 */
const UNIQUE_PER_CALL: readonly string[] = ["x-request-id"];

/**
 * Marks the fields of `headers` (an object, or Node's raw list: name, value, ...) whose values
 * are new on every call as never indexed (HPACK); returns `headers`.
 */
export function withUniqueFieldsUnindexed<T extends OutgoingHttpHeaders | string[]>(headers: T): T {
  if (Array.isArray(headers) ? listsUniqueField(headers) : UNIQUE_PER_CALL.some((name) => (headers as OutgoingHttpHeaders)[name] !== undefined)) {
    (headers as Record<symbol, unknown>)[sensitiveHeaders] = UNIQUE_PER_CALL;
  }
  return headers;
}

function listsUniqueField(list: readonly string[]): boolean {
  for (let i = 0; i < list.length; i += 2) if (UNIQUE_PER_CALL.includes(list[i] as string)) return true;
  return false;
}

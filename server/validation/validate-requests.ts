import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { Interceptor, StreamRequest } from "@connectrpc/connect";
import type { RequestRules } from "../../validation/request-rules.js";
import { invalidArgument } from "../../validation/violation-details.js";
import { perMethod, procedureName } from "../lib/per-method.js";

export interface ValidateRequestsOptions {
  /**
   * Methods, as "package.Service/Method", whose handler checks each streamed request itself and
   * reports the broken ones instead of failing the call (BatchCreateUsers). Default: none.
   */
  checkedByHandler?: readonly string[];
}

/**
 * Checks every request message against its buf.validate rules before the handler sees it, on
 * every protocol and on both call paths (connect-node and the gRPC fast path share interceptors).
 * A message that breaks a rule ends the call with INVALID_ARGUMENT: the readable message names
 * each field, and the details carry the violations (see validation/violation-details.ts). On a
 * client or bidi stream each message is checked as it arrives and the message says which one
 * ("request 2: latitude: ..."); the ones before it have been handled.
 */
export function validateRequests(rules: RequestRules, options: ValidateRequestsOptions = {}): Interceptor {
  const skipped = new Set(options.checkedByHandler);
  const checksHere = perMethod((method) => rules.governs(method.input) && !skipped.has(procedureName(method)));
  // Not async: calls whose messages have no rules pass straight through, without another promise.
  return (next) => (request) => {
    const input: DescMessage = request.method.input;
    if (!checksHere(request.method)) return next(request);
    if (!request.stream) {
      const violations = rules.check(input, request.message);
      return violations.length === 0 ? next(request) : Promise.reject(invalidArgument(violations));
    }
    if (request.method.methodKind === "server_streaming") return checkOnly(rules, input, request).then(next);
    return next({ ...request, message: checkEach(rules, input, request.message) } as StreamRequest);
  };
}

/** A server-streaming call's one message, checked before the handler starts its stream. */
async function checkOnly(rules: RequestRules, input: DescMessage, request: StreamRequest): Promise<StreamRequest> {
  for await (const message of request.message) {
    const violations = rules.check(input, message);
    if (violations.length > 0) throw invalidArgument(violations);
    return { ...request, message: once(message) };
  }
  return request; // no message: the protocol layer reports it
}

async function* once(message: Message): AsyncIterable<Message> {
  yield message;
}

/** A client or bidi stream's messages, each checked as it arrives. */
async function* checkEach(rules: RequestRules, input: DescMessage, messages: AsyncIterable<Message>): AsyncIterable<Message> {
  let position = 0;
  for await (const message of messages) {
    const violations = rules.check(input, message);
    if (violations.length > 0) throw invalidArgument(violations, `request ${position}`);
    position++;
    yield message;
  }
}

import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../gen/google/rpc/error_details_pb.js";

/** One broken rule, as a form shows it: the field's path ("area.lo.latitude") and what is wrong. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** "username: must be at least 3 characters; email: ...", what clients show as the error. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map(({ field, message }) => (field === "" ? message : `${field}: ${message}`)).join("; ");
}

/**
 * The per-field problems an error carries as details (google.rpc.BadRequest, which every protocol
 * delivers alike), or [] if it carries none. Reading them needs no validation library.
 */
export function problemsOf(error: unknown): FieldProblem[] {
  const connectError = ConnectError.from(error);
  if (connectError.code !== Code.InvalidArgument) return [];
  return connectError
    .findDetails(BadRequestSchema)
    .flatMap((badRequest) => badRequest.fieldViolations.map(({ field, description }) => ({ field, message: description })));
}

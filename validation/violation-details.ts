import { create } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Violation, violationsToProto } from "@bufbuild/protovalidate";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { BadRequestSchema } from "../gen/google/rpc/error_details_pb.js";
import { describeProblems, type FieldProblem } from "./field-problems.js";

/** The violations as a form shows them: each field's path ("area.lo.latitude") and what is wrong. */
export function fieldProblems(violations: readonly Violation[]): FieldProblem[] {
  return violations.map((violation) => ({ field: pathToString(violation.field), message: violation.message }));
}

/**
 * INVALID_ARGUMENT for a request that breaks its rules: the readable message, and the violations as
 * error details in two forms: buf.validate.Violations (rule ids and structured paths, for
 * protovalidate users) and google.rpc.BadRequest (which grpc-status libraries and Google's client
 * tooling know). `prefix` says which message of a stream it was, e.g. "request 3".
 */
export function invalidArgument(violations: readonly Violation[], prefix?: string): ConnectError {
  const problems = fieldProblems(violations);
  const [violationsProto] = violationsToProto([...violations]);
  const badRequest = create(BadRequestSchema, {
    fieldViolations: violations.map((violation, index) => ({
      field: problems[index]?.field,
      description: violation.message,
      reason: violation.ruleId,
    })),
  });
  const message = describeProblems(problems);
  return new ConnectError(prefix === undefined ? message : `${prefix}: ${message}`, Code.InvalidArgument, undefined, [
    { desc: ViolationsSchema, value: violationsProto },
    { desc: BadRequestSchema, value: badRequest },
  ]);
}

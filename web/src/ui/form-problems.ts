import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { type FieldProblem, problemsOf } from "../../../validation/field-problems";

/** What is wrong with each field of a form, by the request field's path ("email", "location.latitude"). */
export type FormProblems = Readonly<Record<string, string>>;

export const NO_PROBLEMS: FormProblems = {};

// The rules engine (protovalidate with CEL and RE2) doubles the bundle, so it is a chunk of its
// own, fetched when a form is first used rather than with the page.
let checker: Promise<typeof import("./request-check")> | undefined;
/** Starts fetching the rules, e.g. when a form gets focus, so the first check does not wait. */
export function preloadRules(): void {
  checker ??= import("./request-check");
}

/**
 * The request's broken rules, checked in the browser with the rules the server applies
 * (proto/<package>/rules), so the form can say what to fix before anything is sent.
 */
export async function checkRequest<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Promise<FormProblems> {
  preloadRules();
  const { problemsIn } = await (checker as NonNullable<typeof checker>);
  return byField(problemsIn(schema, init));
}

/** The per-field problems the server sent back as error details (INVALID_ARGUMENT), if any. */
export function serverProblems(error: unknown): FormProblems {
  return byField(problemsOf(error));
}

export function hasProblems(problems: FormProblems): boolean {
  return Object.keys(problems).length > 0;
}

/** The first problem of each field, which is the one worth showing. */
function byField(problems: readonly FieldProblem[]): FormProblems {
  const result: Record<string, string> = {};
  for (const { field, message } of problems) result[field] ??= message;
  return result;
}

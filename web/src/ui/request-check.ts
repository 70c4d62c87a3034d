import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { serviceRules } from "../../../validation/service-rules";
import type { FieldProblem } from "../../../validation/field-problems";
import { fieldProblems } from "../../../validation/violation-details";

// Built (CEL compiled) as soon as this chunk arrives, which is while the person is still typing.
const rules = serviceRules();

/** The request's broken rules, by the rules the server applies (loaded on demand: see form-problems.ts). */
export function problemsIn<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): FieldProblem[] {
  return fieldProblems(rules.check(schema, create(schema, init)));
}

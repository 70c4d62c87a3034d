import { useId } from "react";
import type { FormProblems } from "./form-problems";

/**
 * The message under one input, and the attributes that tie it to the input: spread `input` on the
 * <input>, render `message` after it. Screen readers announce the message as the input's description.
 */
export function useFieldProblem(problems: FormProblems, ...fields: string[]) {
  const id = useId();
  const problem = fields.map((field) => problems[field]).find((message) => message !== undefined);
  return {
    input: problem === undefined ? {} : { "aria-invalid": true as const, "aria-describedby": id },
    message:
      problem === undefined ? null : (
        <span id={id} className="field-problem" data-testid="field-problem">
          {problem}
        </span>
      ),
  };
}

import { type DescField, type DescMessage, getOption, hasOption, isFieldSet, ScalarType } from "@bufbuild/protobuf";
import {
  type FieldRules,
  FieldRulesSchema,
  field as fieldRulesOption,
  message as messageRulesOption,
  oneof as oneofRulesOption,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/**
 * Whether a message surely keeps every rule: true only when it does; false when it may not, and
 * protovalidate must then say (it words the violations).
 *
 * Why this exists: protovalidate evaluates CEL with 64-bit integers as BigInt, and a Point's two
 * range rules cost 1.2–1.5 µs in isolation and about 7% of a whole GetFeature call on the server
 * (bench/RESULTS.md, "Request rules: the quick check"). Almost every request keeps its rules, so
 * a check that proves the common case and hands everything else to protovalidate saves that
 * without a second source of error messages.
 */
export type QuickCheck = (message: Record<string, unknown>) => boolean;

/** The annotated descriptor of a message type (with its rules), or undefined if there is none. */
export type AnnotatedLookup = (typeName: string) => DescMessage | undefined;

/**
 * The quick check for a message type, or undefined if its rules use anything it does not
 * understand. It understands, on fields outside oneofs:
 * - `required` on a singular message field;
 * - CEL rules of the form `this OP n && this OP m ...` (OP one of < <= > >= == !=, n an integer)
 *   on a singular signed 32-bit integer field, whose value is then compared as CEL compares it;
 * - singular message fields whose type is checked in turn (when set), by the same rules.
 * Any other rule (message or oneof rules, type rules such as string.max_len, `ignore`, other CEL,
 * repeated or map fields of governed types) leaves the type to protovalidate alone.
 */
export function compileQuickCheck(schema: DescMessage, lookup: AnnotatedLookup, governs: (schema: DescMessage) => boolean): QuickCheck | undefined {
  return compile(schema, { lookup, governs, compiled: new Map() });
}

type FieldCheck = (message: Record<string, unknown>) => boolean;

/** What one compileQuickCheck carries through its types and fields. */
interface Compilation {
  lookup: AnnotatedLookup;
  governs(schema: DescMessage): boolean;
  /** The checks made so far, by type name; undefined for a type left to protovalidate (or being compiled). */
  compiled: Map<string, QuickCheck | undefined>;
}

function compile(schema: DescMessage, compilation: Compilation): QuickCheck | undefined {
  const { compiled } = compilation;
  if (compiled.has(schema.typeName)) return compiled.get(schema.typeName);
  compiled.set(schema.typeName, undefined); // a type that contains itself: left to protovalidate
  const annotated = compilation.lookup(schema.typeName);
  if (annotated === undefined || hasOption(annotated, messageRulesOption) || annotated.oneofs.some((oneof) => hasOption(oneof, oneofRulesOption))) return undefined;
  const checks: FieldCheck[] = [];
  for (const field of annotated.fields) {
    const check = compileField(field, compilation);
    if (check === undefined) return undefined;
    if (check !== keepsAll) checks.push(check);
  }
  const quick: QuickCheck = (message) => {
    for (let i = 0; i < checks.length; i++) if (!(checks[i] as FieldCheck)(message)) return false;
    return true;
  };
  compiled.set(schema.typeName, quick);
  return quick;
}

const keepsAll: FieldCheck = () => true;

const SIGNED_32 = new Set([ScalarType.INT32, ScalarType.SINT32, ScalarType.SFIXED32]);

function compileField(field: DescField, compilation: Compilation): FieldCheck | undefined {
  const rules = hasOption(field, fieldRulesOption) ? getOption(field, fieldRulesOption) : undefined;
  const nestedGoverned = field.message !== undefined && compilation.governs(field.message);
  if (rules === undefined && !nestedGoverned) return keepsAll;
  if (field.oneof !== undefined || (field.fieldKind !== "scalar" && field.fieldKind !== "message")) return undefined;
  if (rules !== undefined && !onlyCelAndRequired(rules)) return undefined;
  const name = field.localName;
  if (field.fieldKind === "message") {
    if ((rules?.cel.length ?? 0) > 0) return undefined;
    const required = rules?.required === true;
    const nested = nestedGoverned ? compile(field.message, compilation) : keepsAll;
    if (nested === undefined) return undefined;
    return (message) => {
      const value = message[name] as Record<string, unknown> | undefined;
      return value === undefined ? !required : nested(value);
    };
  }
  if (rules === undefined || rules.required || !SIGNED_32.has(field.scalar)) return undefined;
  const comparisons: Comparison[] = [];
  for (const rule of rules.cel) {
    const parsed = parseComparisons(rule.expression);
    if (parsed === undefined) return undefined;
    comparisons.push(...parsed);
  }
  return (message) => {
    const value = message[name];
    if (typeof value !== "number") return false;
    for (const { op, bound } of comparisons) if (!compare(op, value, bound)) return false;
    return true;
  };
}

/** FieldRules with nothing set but `cel` and `required` (no type rules, no `ignore`, no extensions). */
function onlyCelAndRequired(rules: FieldRules): boolean {
  if (rules.$unknown !== undefined && rules.$unknown.length > 0) return false;
  if (rules.celExpression.length > 0) return false;
  return FieldRulesSchema.fields.every((member) => member.name === "cel" || member.name === "required" || !isFieldSet(rules, member));
}

type Operator = "<" | "<=" | ">" | ">=" | "==" | "!=";
interface Comparison {
  op: Operator;
  bound: number;
}

const COMPARISON = /^\s*this\s*(<=|>=|==|!=|<|>)\s*(-?\d{1,15})\s*$/;

/** `this OP n` joined by `&&`, or undefined for any other expression. */
export function parseComparisons(expression: string): Comparison[] | undefined {
  const comparisons: Comparison[] = [];
  for (const part of expression.split("&&")) {
    const match = COMPARISON.exec(part);
    if (match === null) return undefined;
    comparisons.push({ op: match[1] as Operator, bound: Number(match[2]) });
  }
  return comparisons;
}

function compare(op: Operator, value: number, bound: number): boolean {
  switch (op) {
    case "<":
      return value < bound;
    case "<=":
      return value <= bound;
    case ">":
      return value > bound;
    case ">=":
      return value >= bound;
    case "==":
      return value === bound;
    case "!=":
      return value !== bound;
  }
}

import {
  clone,
  create,
  createFileRegistry,
  type DescField,
  type DescFile,
  type DescMessage,
  type FileRegistry,
  getOption,
  hasOption,
  isFieldSet,
  type MessageShape,
  setExtension,
} from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  MessageOptionsSchema,
  OneofOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { createValidator, type Violation } from "@bufbuild/protovalidate";
import { compileQuickCheck, type QuickCheck } from "./quick-check.js";
import {
  field as fieldRulesOption,
  message as messageRulesOption,
  oneof as oneofRulesOption,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/**
 * Request rules declared beside the service definitions (proto/<package>/rules/*.proto), applied
 * to the service's own messages.
 *
 * A rules file holds, for each governed message, a message of the same name whose fields carry
 * buf.validate options; its package is the governed package plus ".rules". The rules are copied
 * onto copies of the governed files' descriptors, so that protovalidate validates the service's
 * messages directly (it matches messages to descriptors by type name). The generated descriptors
 * themselves are left as they are: reflection still serves the files as written.
 */
export interface RequestRules {
  /** Whether messages of this type, or messages within them, have any rule. */
  governs(schema: DescMessage): boolean;
  /** Every rule the message breaks, in field order; empty if it breaks none or has no rules. */
  check<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Violation[];
}

export interface RequestRulesOptions {
  /** The rules files (generated *_pb.ts `file_*` exports). */
  rules: readonly DescFile[];
  /** The files of the governed packages, dependencies before the files that import them. */
  governed: readonly DescFile[];
  /** Pass messages that surely keep their rules without protovalidate (quick-check.ts); off only to measure it. Default: true. */
  quickCheck?: boolean;
}

/** Builds the rules; throws if a rules message or field does not match the message it governs. */
export function createRequestRules({ rules, governed, quickCheck = true }: RequestRulesOptions): RequestRules {
  const registry = annotatedRegistry(rules, governed);
  const validator = createValidator();
  const governing = new Map<string, boolean>();

  function governs(schema: DescMessage): boolean {
    const known = governing.get(schema.typeName);
    if (known !== undefined) return known;
    const annotated = registry.getMessage(schema.typeName);
    governing.set(schema.typeName, false); // recursive types: assume none while looking
    const result =
      annotated !== undefined &&
      (hasOption(annotated, messageRulesOption) ||
        annotated.oneofs.some((oneof) => hasOption(oneof, oneofRulesOption)) ||
        annotated.fields.some((field) => hasOption(field, fieldRulesOption) || (field.message !== undefined && governs(field.message))));
    governing.set(schema.typeName, result);
    return result;
  }

  // Compile every governed message's rules now, so a broken CEL expression stops the start.
  // Messages that keep their rules are told apart without protovalidate where the rules allow it
  // (quick-check.ts); protovalidate still finds and words every violation.
  const quickChecks = new Map<string, QuickCheck>();
  for (const file of governed) {
    for (const schema of file.messages) {
      const annotated = registry.getMessage(schema.typeName);
      if (annotated !== undefined && governs(schema)) {
        const result = validator.validate(annotated, create(annotated));
        if (result.kind === "error") throw new Error(`rules of ${schema.typeName}: ${result.error.message}`, { cause: result.error });
        const quick = quickCheck ? compileQuickCheck(annotated, (typeName) => registry.getMessage(typeName), governs) : undefined;
        if (quick !== undefined) quickChecks.set(schema.typeName, quick);
      }
    }
  }

  return {
    governs,
    check(schema, message) {
      if (!governs(schema)) return [];
      if (quickChecks.get(schema.typeName)?.(message as Record<string, unknown>) === true) return [];
      // The annotated copy describes the same type, so protovalidate accepts the service's message.
      const result = validator.validate(registry.getMessage(schema.typeName) as DescMessage, message);
      if (result.kind === "error") throw result.error;
      return result.kind === "invalid" ? result.violations : [];
    },
  };
}

/** The governed files, with each rules message's options copied onto the message of the same name (exported for quick-check.test.ts). */
export function annotatedRegistry(rules: readonly DescFile[], governed: readonly DescFile[]): FileRegistry {
  const protos = new Map(governed.map((file) => [file.name, clone(FileDescriptorProtoSchema, file.proto)]));
  const targets = new Map<string, { file: FileDescriptorProto; message: DescriptorProto }>();
  for (const file of protos.values()) {
    for (const message of file.messageType) targets.set(`${file.package}.${message.name}`, { file, message });
  }
  for (const rulesFile of rules) {
    const governedPackage = rulesFile.proto.package.replace(/\.rules$/, "");
    if (governedPackage === rulesFile.proto.package) throw new Error(`${rulesFile.name}: a rules package is named <governed package>.rules`);
    for (const ruleMessage of rulesFile.messages) {
      const typeName = `${governedPackage}.${ruleMessage.name}`;
      const target = targets.get(typeName);
      if (target === undefined) throw new Error(`${ruleMessage.typeName}: no message ${typeName} in the governed files`);
      copyMessageRules(ruleMessage, target.message, typeName);
    }
  }
  return createFileRegistry(create(FileDescriptorSetSchema, { file: [...protos.values()] }));
}

function copyMessageRules(ruleMessage: DescMessage, target: DescriptorProto, typeName: string): void {
  if (hasOption(ruleMessage, messageRulesOption)) {
    setExtension((target.options ??= create(MessageOptionsSchema)), messageRulesOption, getOption(ruleMessage, messageRulesOption));
  }
  for (const ruleField of ruleMessage.fields) {
    const targetField = target.field.find((field) => field.number === ruleField.number);
    const mismatch = fieldMismatch(ruleField, targetField, target);
    if (mismatch !== undefined) throw new Error(`${ruleField.parent.typeName}.${ruleField.name}: ${mismatch} in ${typeName}`);
    if (targetField !== undefined && hasOption(ruleField, fieldRulesOption)) {
      setExtension((targetField.options ??= create(FieldOptionsSchema)), fieldRulesOption, getOption(ruleField, fieldRulesOption));
    }
  }
  for (const ruleOneof of ruleMessage.oneofs) {
    const targetOneof = target.oneofDecl.find((oneof) => oneof.name === ruleOneof.name);
    if (targetOneof === undefined) throw new Error(`${ruleMessage.typeName}: no oneof ${ruleOneof.name} in ${typeName}`);
    if (hasOption(ruleOneof, oneofRulesOption)) {
      setExtension((targetOneof.options ??= create(OneofOptionsSchema)), oneofRulesOption, getOption(ruleOneof, oneofRulesOption));
    }
  }
}

/** Why a rules field does not describe the governed field of the same number, if it does not. */
function fieldMismatch(ruleField: DescField, target: FieldDescriptorProto | undefined, message: DescriptorProto): string | undefined {
  if (target === undefined) return `no field number ${ruleField.number}`;
  const expected = ruleField.proto;
  if (target.name !== expected.name) return `field ${ruleField.number} is named ${target.name}`;
  if (target.type !== expected.type || target.label !== expected.label) return `field ${target.name} has another type`;
  // Message and enum fields: the governed field's type must be the one the rules name.
  if (expected.typeName !== "" && target.typeName !== expected.typeName) return `field ${target.name} is of type ${target.typeName}`;
  const targetOneof = isFieldSet(target, FieldDescriptorProtoSchema.field.oneofIndex) ? message.oneofDecl[target.oneofIndex]?.name : undefined;
  if (ruleField.oneof?.name !== targetOneof) return `field ${target.name} is in another oneof`;
  return undefined;
}

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  DescriptorProtoSchema,
  EnumDescriptorProtoSchema,
  FieldDescriptorProtoSchema,
  type FileDescriptorProto,
  FileDescriptorSetSchema,
  FileOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("..", import.meta.url).pathname;

/** What the file declares, element by element, as digests of the bytes: options with their extensions (the rules' CEL) included. */
function declarations(file: FileDescriptorProto): Record<string, string> {
  const hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
  const entries: [string, string][] = [
    ["package", file.package],
    ["dependencies", file.dependency.join(",")],
    ["options", hex(toBinary(FileOptionsSchema, file.options ?? create(FileOptionsSchema)))],
    ...file.messageType.map((message) => [`message ${message.name}`, hex(toBinary(DescriptorProtoSchema, message))] as [string, string]),
    ...file.enumType.map((enumType) => [`enum ${enumType.name}`, hex(toBinary(EnumDescriptorProtoSchema, enumType))] as [string, string]),
    ...file.extension.map((extension) => [`extension ${extension.name}`, hex(toBinary(FieldDescriptorProtoSchema, extension))] as [string, string]),
  ];
  return Object.fromEntries(entries);
}

// proto/buf/validate/validate.proto is vendored (the Buf registry is out of reach); the runtime
// that enforces it is @bufbuild/protovalidate. They must describe the same rules, option by option.
it("proto/buf/validate/validate.proto compiles to the descriptor @bufbuild/protovalidate is built from", async () => {
  const { stdout } = await run(join(root, "node_modules/.bin/buf"), ["build", join(root, "proto"), "--path", join(root, "proto/buf/validate/validate.proto"), "--exclude-source-info", "--exclude-imports", "-o", "-#format=binpb"], {
    encoding: "buffer",
    maxBuffer: 16 * 1024 * 1024,
  });
  const built = fromBinary(FileDescriptorSetSchema, stdout).file.find((file) => file.name === "buf/validate/validate.proto");
  expect(built).toBeDefined();
  expect(declarations(built!)).toEqual(declarations(file_buf_validate_validate.proto));
}, 60_000);

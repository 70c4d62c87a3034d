import { clone, create, createFileRegistry, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Type, type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { describe, expect, it } from "vitest";
import { file_routeguide_route_guide, PointSchema, RectangleSchema, RouteNoteSchema } from "../gen/routeguide/route_guide_pb.js";
import { file_routeguide_route_notes, SubscribeNotesRequestSchema } from "../gen/routeguide/route_notes_pb.js";
import { file_routeguide_route_recording } from "../gen/routeguide/route_recording_pb.js";
import { file_routeguide_rules_request_rules } from "../gen/routeguide/rules/request_rules_pb.js";
import {
  ChatMessageSchema,
  CreateUserRequestSchema,
  GetUserRequestSchema,
  ListUsersRequestSchema,
  LoginRequestSchema,
  LogoutRequestSchema,
} from "../gen/userservice/user_service_pb.js";
import { HealthCheckRequestSchema } from "../gen/grpc/health/v1/health_pb.js";
import { createRequestRules } from "./request-rules.js";
import { serviceRules } from "./service-rules.js";

const rules = serviceRules();

/** "field: message" for each violation, as the readable error lists them. */
function problems<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): string[] {
  return rules.check(schema, create(schema, init)).map((violation) => `${pathToString(violation.field)}: ${violation.message}`);
}

const user = { username: "ada", email: "ada@example.com", password: "analytical" };

describe("the rules of the services", () => {
  it.each([
    [{ latitude: 900000000, longitude: -1800000000 }, []],
    [{ latitude: -900000000, longitude: 1800000000 }, []],
    [{ latitude: 900000001, longitude: 0 }, ["latitude: must be between -90 and 90 degrees (±900000000 in E7)"]],
    [{ latitude: 0, longitude: -1800000001 }, ["longitude: must be between -180 and 180 degrees (±1800000000 in E7)"]],
  ])("Point %o: on the globe, edges included", (point, expected) => {
    expect(problems(PointSchema, point)).toEqual(expected);
  });

  it("Rectangle: both corners, each on the globe", () => {
    expect(problems(RectangleSchema, {})).toEqual(["lo: value is required", "hi: value is required"]);
    expect(problems(RectangleSchema, { lo: {}, hi: { latitude: -900000001 } })).toEqual([
      "hi.latitude: must be between -90 and 90 degrees (±900000000 in E7)",
    ]);
  });

  it("RouteNote: a location and a message of 1 to 1,000 characters that is not only spaces", () => {
    expect(problems(RouteNoteSchema, { location: {}, message: "hi" })).toEqual([]);
    expect(problems(RouteNoteSchema, { message: "hi" })).toEqual(["location: value is required"]);
    expect(problems(RouteNoteSchema, { location: {}, message: "" })).toEqual(["message: must not be empty"]);
    expect(problems(RouteNoteSchema, { location: {}, message: " \t\n" })).toEqual(["message: must not be empty"]);
    // Characters are code points: 1,000 emoji (2,000 UTF-16 units) are allowed.
    expect(problems(RouteNoteSchema, { location: {}, message: "🗺".repeat(1000) })).toEqual([]);
    expect(problems(RouteNoteSchema, { location: {}, message: "x".repeat(1001) })).toEqual(["message: must be at most 1000 characters"]);
  });

  it("SubscribeNotesRequest: a location or an area, checked as such, and a non-negative after_id", () => {
    expect(problems(SubscribeNotesRequestSchema, { scope: { case: "location", value: {} } })).toEqual([]);
    expect(problems(SubscribeNotesRequestSchema, { afterId: -1n })).toEqual([
      "after_id: must be greater than or equal to 0",
      "scope: exactly one field is required in oneof",
    ]);
    expect(problems(SubscribeNotesRequestSchema, { scope: { case: "area", value: { lo: { longitude: 1800000001 } } } })).toEqual([
      "area.lo.longitude: must be between -180 and 180 degrees (±1800000000 in E7)",
      "area.hi: value is required",
    ]);
  });

  it.each([
    [user, []],
    [{ ...user, username: "" }, ["username: value is required"]],
    [{ ...user, username: "ab" }, ["username: must be at least 3 characters"]],
    [{ ...user, username: "a".repeat(33) }, ["username: must be at most 32 characters"]],
    [{ ...user, username: "1ab" }, ["username: may only contain letters, digits, '_', '.' and '-', and must start with a letter"]],
    [{ ...user, username: "A.b_c-9" }, []],
    [{ ...user, email: "" }, ["email: value is required"]],
    [{ ...user, email: "ada" }, ["email: must be a valid email address"]],
    [{ ...user, email: "ada@example.com " }, ["email: must be a valid email address"]],
    [{ ...user, email: `${"a".repeat(243)}@example.com` }, ["email: must be at most 254 characters"]],
    [{ ...user, password: "" }, ["password: value is required"]],
    [{ ...user, password: "short" }, ["password: must be at least 8 characters"]],
    [{ ...user, password: "x".repeat(129) }, ["password: must be at most 128 characters"]],
  ])("CreateUserRequest %o", (request, expected) => {
    expect(problems(CreateUserRequestSchema, request)).toEqual(expected);
  });

  it("the other requests of UserService", () => {
    expect(problems(GetUserRequestSchema, { id: "" })).toEqual(["id: value is required"]);
    expect(problems(ListUsersRequestSchema, { pageSize: -1 })).toEqual(["page_size: must be greater than or equal to 0"]);
    expect(problems(ListUsersRequestSchema, { pageSize: 5000 })).toEqual([]);
    expect(problems(LoginRequestSchema, {})).toEqual(["username: value is required", "password: value is required"]);
    expect(problems(LoginRequestSchema, { username: "x".repeat(33), password: "p".repeat(129) })).toEqual([
      "username: must be at most 32 characters",
      "password: must be at most 128 characters",
    ]);
    expect(problems(ChatMessageSchema, { text: " " })).toEqual(["text: must not be empty"]);
    expect(problems(ChatMessageSchema, { text: "x".repeat(1001) })).toEqual(["text: must be at most 1000 characters"]);
    expect(problems(ChatMessageSchema, { text: "hello", userId: "" })).toEqual([]);
  });

  it("governs only the messages that have rules, directly or in their fields", () => {
    expect(rules.governs(RectangleSchema)).toBe(true);
    expect(rules.governs(SubscribeNotesRequestSchema)).toBe(true);
    expect(rules.governs(LogoutRequestSchema)).toBe(false);
    expect(rules.governs(HealthCheckRequestSchema)).toBe(false);
    expect(rules.check(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "x".repeat(10_000) }))).toEqual([]);
  });

  it("leaves the generated descriptors as written: reflection serves the canonical files without options", () => {
    for (const message of file_routeguide_route_guide.messages) {
      for (const field of message.fields) expect(field.proto.options, `${message.typeName}.${field.name}`).toBeUndefined();
    }
  });
});

describe("a rules file that does not match the messages it governs", () => {
  /** The route guide rules file with one edit to its descriptor. */
  function rulesWith(edit: (file: FileDescriptorProto) => void) {
    const proto = clone(FileDescriptorProtoSchema, file_routeguide_rules_request_rules.proto);
    edit(proto);
    const deps = [file_buf_validate_validate, file_routeguide_route_guide];
    const registry = createFileRegistry(proto, (name) => deps.find((file) => file.proto.name === name));
    const file = [...registry.files].find((candidate) => candidate.proto.name === proto.name);
    if (file === undefined) throw new Error("rules file not built");
    return () => createRequestRules({ rules: [file], governed: [file_routeguide_route_guide, file_routeguide_route_notes, file_routeguide_route_recording] });
  }
  const message = (proto: FileDescriptorProto, name: string) => proto.messageType.find((m) => m.name === name)!;

  it("(unedited, it builds)", () => {
    expect(rulesWith(() => {})).not.toThrow();
  });

  it("is refused for a field of another name", () => {
    expect(rulesWith((proto) => (message(proto, "Point").field[0]!.name = "lat"))).toThrow(
      "routeguide.rules.Point.lat: field 1 is named latitude in routeguide.Point",
    );
  });

  it("is refused for a field number the governed message lacks", () => {
    expect(rulesWith((proto) => (message(proto, "Point").field[1]!.number = 7))).toThrow("no field number 7 in routeguide.Point");
  });

  it("is refused for a message the package lacks", () => {
    expect(rulesWith((proto) => (message(proto, "Rectangle").name = "Square"))).toThrow("no message routeguide.Square");
  });

  it("is refused for a field of another type", () => {
    expect(
      rulesWith((proto) => {
        const afterId = message(proto, "SubscribeNotesRequest").field.find((field) => field.name === "after_id")!;
        afterId.type = FieldDescriptorProto_Type.INT32;
        afterId.options = undefined;
      }),
    ).toThrow("field after_id has another type in routeguide.SubscribeNotesRequest");
  });
});

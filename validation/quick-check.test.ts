import { clone, create, createFileRegistry, type DescFile, getExtension, setExtension } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createValidator } from "@bufbuild/protovalidate";
import { field as fieldRulesOption, file_buf_validate_validate, RuleSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { describe, expect, it } from "vitest";
import { file_routeguide_route_guide } from "../gen/routeguide/route_guide_pb.js";
import { file_routeguide_route_notes } from "../gen/routeguide/route_notes_pb.js";
import { file_routeguide_route_recording } from "../gen/routeguide/route_recording_pb.js";
import { file_routeguide_rules_request_rules } from "../gen/routeguide/rules/request_rules_pb.js";
import { file_userservice_chat_room } from "../gen/userservice/chat_room_pb.js";
import { file_userservice_rules_request_rules } from "../gen/userservice/rules/request_rules_pb.js";
import { file_userservice_user_service } from "../gen/userservice/user_service_pb.js";
import { compileQuickCheck, parseComparisons } from "./quick-check.js";
import { annotatedRegistry, createRequestRules } from "./request-rules.js";

const GOVERNED = [file_routeguide_route_guide, file_routeguide_route_notes, file_routeguide_route_recording, file_userservice_user_service, file_userservice_chat_room];
const validator = createValidator();

function quickChecks(rules: readonly DescFile[]) {
  const registry = annotatedRegistry(rules, GOVERNED);
  const lookup = (typeName: string) => registry.getMessage(typeName);
  const { governs } = createRequestRules({ rules, governed: GOVERNED });
  return {
    of: (typeName: string) => compileQuickCheck(lookup(typeName)!, lookup, governs),
    valid: (typeName: string, message: unknown) => validator.validate(lookup(typeName)!, message as never).kind === "valid",
    schema: (typeName: string) => lookup(typeName)!,
  };
}

/** Values around every bound the rules use, and the ends of int32. */
const EDGES = [-2147483648, -1800000001, -1800000000, -1799999999, -900000001, -900000000, -899999999, -8, -7, -6, -5, -4, -1, 0, 1, 3, 4, 5, 6, 7, 8, 899999999, 900000000, 900000001, 1799999999, 1800000000, 1800000001, 2147483647];

function* points(): Generator<{ latitude: number; longitude: number }> {
  for (const latitude of EDGES) for (const longitude of EDGES) yield { latitude, longitude };
}

describe("the quick check of the services' rules", () => {
  const checks = quickChecks([file_routeguide_rules_request_rules, file_userservice_rules_request_rules]);

  it("is compiled for Point and Rectangle, and agrees with protovalidate on every point around the bounds", () => {
    const point = checks.of("routeguide.Point")!;
    expect(point).toBeDefined();
    let valid = 0;
    for (const init of points()) {
      const message = create(checks.schema("routeguide.Point"), init);
      expect(point(message as never), JSON.stringify(init)).toBe(checks.valid("routeguide.Point", message));
      if (point(message as never)) valid++;
    }
    expect(valid).toBeGreaterThan(0);
  });

  it("agrees on rectangles: corners missing, on and off the globe", () => {
    const rectangle = checks.of("routeguide.Rectangle")!;
    expect(rectangle).toBeDefined();
    const corners = [undefined, { latitude: 0, longitude: 0 }, { latitude: 900000001, longitude: 0 }, { latitude: -900000000, longitude: 1800000000 }];
    for (const lo of corners) {
      for (const hi of corners) {
        const message = create(checks.schema("routeguide.Rectangle"), { lo, hi });
        expect(rectangle(message as never), JSON.stringify({ lo, hi })).toBe(checks.valid("routeguide.Rectangle", message));
      }
    }
  });

  it("leaves to protovalidate the rules it does not understand: string rules, oneof rules, other CEL, repeated fields", () => {
    expect(checks.of("routeguide.RouteNote")).toBeUndefined(); // string.max_len and this.matches(...)
    expect(checks.of("routeguide.SubscribeNotesRequest")).toBeUndefined(); // a required oneof
    expect(checks.of("routeguide.RecordRouteRequest")).toBeUndefined(); // repeated.max_items
    expect(checks.of("userservice.CreateUserRequest")).toBeUndefined(); // string rules
  });
});

describe("a quick check of other CEL rules on a Point's latitude", () => {
  /** The route guide rules with Point.latitude's CEL expression replaced. */
  function latitudeRule(expression: string) {
    const proto = clone(FileDescriptorProtoSchema, file_routeguide_rules_request_rules.proto) as FileDescriptorProto;
    const latitude = proto.messageType.find((message) => message.name === "Point")!.field[0]!;
    const rules = getExtension(latitude.options!, fieldRulesOption);
    rules.cel = [create(RuleSchema, { id: "latitude.test", message: "broken", expression })];
    setExtension(latitude.options!, fieldRulesOption, rules);
    const deps = [file_buf_validate_validate, file_routeguide_route_guide];
    const registry = createFileRegistry(proto, (name) => deps.find((file) => file.proto.name === name));
    return quickChecks([[...registry.files].find((file) => file.proto.name === proto.name)!]);
  }

  it.each(["this > 3", "this >= -5 && this <= 5", "this != 0", "this == 7", "this < -4", "  this>=-7&&this<8 "])("%s: compiled, and agrees with protovalidate", (expression) => {
    const checks = latitudeRule(expression);
    const point = checks.of("routeguide.Point")!;
    expect(point).toBeDefined();
    for (const init of points()) {
      const message = create(checks.schema("routeguide.Point"), init);
      expect(point(message as never), `${expression} on ${JSON.stringify(init)}`).toBe(checks.valid("routeguide.Point", message));
    }
  });

  it.each(["this > 3 || this < -3", "this * 2 > 3", "this >= 0x10", "-this < 5", "(this > 3)", "this > 3 && true", "this > 99999999999999999999"])("%s: left to protovalidate", (expression) => {
    expect(latitudeRule(expression).of("routeguide.Point")).toBeUndefined();
  });
});

describe("parseComparisons", () => {
  it("reads `this OP n` joined by &&", () => {
    expect(parseComparisons("this >= -900000000 && this <= 900000000")).toEqual([
      { op: ">=", bound: -900000000 },
      { op: "<=", bound: 900000000 },
    ]);
    expect(parseComparisons("this != 3")).toEqual([{ op: "!=", bound: 3 }]);
    expect(parseComparisons("this.size() > 3")).toBeUndefined();
    expect(parseComparisons("")).toBeUndefined();
  });
});

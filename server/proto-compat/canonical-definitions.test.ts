import { type DescField, type DescMessage, type DescService, ScalarType } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { file_routeguide_route_guide } from "../../gen/routeguide/route_guide_pb.js";
import { file_routeguide_route_notes } from "../../gen/routeguide/route_notes_pb.js";
import { file_userservice_chat_room } from "../../gen/userservice/chat_room_pb.js";
import { file_userservice_user_service } from "../../gen/userservice/user_service_pb.js";

/**
 * The canonical definitions, written out by hand from the upstream route_guide.proto and the
 * user service contract. Clients generated elsewhere rely on every name, number, type and
 * streaming kind here; this project may add to them but never change them.
 */
const CANONICAL = {
  messages: {
    "routeguide.Point": { latitude: [1, "int32"], longitude: [2, "int32"] },
    "routeguide.Rectangle": { lo: [1, "routeguide.Point"], hi: [2, "routeguide.Point"] },
    "routeguide.Feature": { name: [1, "string"], location: [2, "routeguide.Point"] },
    "routeguide.RouteNote": { location: [1, "routeguide.Point"], message: [2, "string"] },
    "routeguide.RouteSummary": { point_count: [1, "int32"], feature_count: [2, "int32"], distance: [3, "int32"], elapsed_time: [4, "int32"] },
    "userservice.GetUserRequest": { id: [1, "string"] },
    "userservice.CreateUserRequest": { username: [1, "string"], email: [2, "string"], password: [3, "string"] },
    "userservice.ListUsersRequest": { page_size: [1, "int32"], page_token: [2, "string"] },
    "userservice.BatchResult": { created: [1, "int32"], errors: [2, "repeated string"] },
    "userservice.ChatMessage": { user_id: [1, "string"], text: [2, "string"], timestamp: [3, "int64"] },
    "userservice.User": { id: [1, "string"], username: [2, "string"], email: [3, "string"], created_at: [4, "int64"], roles: [5, "repeated string"] },
  } as Record<string, Record<string, [number, string]>>,
  services: {
    "routeguide.RouteGuide": {
      GetFeature: ["routeguide.Point", "routeguide.Feature", "unary"],
      ListFeatures: ["routeguide.Rectangle", "routeguide.Feature", "server_streaming"],
      RecordRoute: ["routeguide.Point", "routeguide.RouteSummary", "client_streaming"],
      RouteChat: ["routeguide.RouteNote", "routeguide.RouteNote", "bidi_streaming"],
    },
    "userservice.UserService": {
      GetUser: ["userservice.GetUserRequest", "userservice.User", "unary"],
      CreateUser: ["userservice.CreateUserRequest", "userservice.User", "unary"],
      ListUsers: ["userservice.ListUsersRequest", "userservice.User", "server_streaming"],
      BatchCreateUsers: ["userservice.CreateUserRequest", "userservice.BatchResult", "client_streaming"],
      Chat: ["userservice.ChatMessage", "userservice.ChatMessage", "bidi_streaming"],
    },
  } as Record<string, Record<string, [string, string, string]>>,
};

const files = [file_routeguide_route_guide, file_routeguide_route_notes, file_userservice_user_service, file_userservice_chat_room];
const messages = new Map<string, DescMessage>(files.flatMap((f) => f.messages.map((m) => [m.typeName, m] as const)));
const services = new Map<string, DescService>(files.flatMap((f) => f.services.map((s) => [s.typeName, s] as const)));

function fieldType(field: DescField): string {
  const repeated = field.fieldKind === "list" ? "repeated " : "";
  switch (field.fieldKind) {
    case "scalar":
      return ScalarType[field.scalar].toLowerCase();
    case "message":
      return field.message.typeName;
    case "list":
      return repeated + (field.listKind === "scalar" ? ScalarType[field.scalar].toLowerCase() : field.listKind === "message" ? field.message.typeName : "enum");
    default:
      return field.fieldKind;
  }
}

describe("wire compatibility with the canonical definitions", () => {
  it.each(Object.entries(CANONICAL.messages))("message %s keeps every canonical field", (typeName, fields) => {
    const message = messages.get(typeName);
    expect(message, `${typeName} exists`).toBeDefined();
    for (const [name, [number, type]] of Object.entries(fields)) {
      const field = message!.fields.find((f) => f.name === name);
      expect(field, `${typeName}.${name} exists`).toBeDefined();
      expect({ name, number: field!.number, type: fieldType(field!), oneof: field!.oneof?.name }).toEqual({ name, number, type, oneof: undefined });
    }
    // No additional field may reuse a canonical number.
    const canonicalNumbers = new Set(Object.values(fields).map(([n]) => n));
    const extra = message!.fields.filter((f) => !(f.name in fields));
    expect(extra.filter((f) => canonicalNumbers.has(f.number))).toEqual([]);
  });

  it.each(Object.entries(CANONICAL.services))("service %s keeps every canonical method", (typeName, methods) => {
    const service = services.get(typeName);
    expect(service, `${typeName} exists`).toBeDefined();
    for (const [name, [input, output, kind]] of Object.entries(methods)) {
      const method = service!.methods.find((m) => m.name === name);
      expect(method, `${typeName}/${name} exists`).toBeDefined();
      expect([method!.input.typeName, method!.output.typeName, method!.methodKind]).toEqual([input, output, kind]);
    }
  });

  it("keeps the canonical files free of additions (those live in other files)", () => {
    expect(file_routeguide_route_guide.messages.map((m) => m.typeName).sort()).toEqual(
      Object.keys(CANONICAL.messages).filter((n) => n.startsWith("routeguide.")).sort(),
    );
    expect(file_routeguide_route_guide.services.map((s) => s.typeName)).toEqual(["routeguide.RouteGuide"]);
  });
});

import { create, type DescMessage, type MessageShape, toBinary, toJsonString } from "@bufbuild/protobuf";
import { FeatureSchema, PointSchema, RouteNoteSchema } from "../../gen/routeguide/route_guide_pb.js";
import { StoredNoteSchema } from "../../gen/routeguide/route_notes_pb.js";
import { UserSchema } from "../../gen/userservice/user_service_pb.js";
import { formatNumber } from "../lib/stats.js";

function sizes<D extends DescMessage>(schema: D, message: MessageShape<D>) {
  return { name: schema.typeName, binary: toBinary(schema, message).length, json: new TextEncoder().encode(toJsonString(schema, message)).length };
}

/** Bytes per message on the wire, protobuf binary against Connect's JSON, for the same messages. */
export function wireSizeTable(): string {
  const location = create(PointSchema, { latitude: 409146138, longitude: -746188906 });
  const rows = [
    sizes(PointSchema, location),
    sizes(FeatureSchema, create(FeatureSchema, { name: "Berkshire Valley Management Area Trail, Jefferson, NJ, USA", location })),
    sizes(StoredNoteSchema, create(StoredNoteSchema, { id: 123456n, createdAt: 1795000000000n, note: create(RouteNoteSchema, { location, message: "Trail closed past the bridge" }) })),
    sizes(UserSchema, create(UserSchema, { id: "0b7e1f9c-3c4a-4f1e-9d55-2f7c1a2b3c4d", username: "user12345", email: "user12345@example.test", createdAt: 1795000000000n, roles: ["user"] })),
  ];
  return [
    "| message | protobuf bytes | JSON bytes | JSON / protobuf |",
    "|---|---:|---:|---:|",
    ...rows.map((row) => `| ${row.name} | ${formatNumber(row.binary)} | ${formatNumber(row.json)} | ${(row.json / row.binary).toFixed(2)}x |`),
    "",
    "Framing adds 5 bytes per message for gRPC and gRPC-Web and for Connect streams; Connect unary sends the bare message.",
  ].join("\n");
}

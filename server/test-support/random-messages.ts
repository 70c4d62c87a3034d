import { type DescField, type DescFile, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { file_google_protobuf_descriptor } from "@bufbuild/protobuf/wkt";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { file_grpc_health_v1_health } from "../../gen/grpc/health/v1/health_pb.js";
import { file_grpc_reflection_v1_reflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { file_routeguide_route_guide } from "../../gen/routeguide/route_guide_pb.js";
import { file_routeguide_route_notes } from "../../gen/routeguide/route_notes_pb.js";
import { file_routeguide_route_recording } from "../../gen/routeguide/route_recording_pb.js";
import { file_userservice_chat_room } from "../../gen/userservice/chat_room_pb.js";
import { file_userservice_user_service } from "../../gen/userservice/user_service_pb.js";

// Random messages of every type the services use, for tests that hold a hand-written codec
// (message-encoder.ts, json-codec.ts) to protobuf-es's own.

export const FILES: DescFile[] = [
  file_routeguide_route_guide,
  file_routeguide_route_notes,
  file_routeguide_route_recording,
  file_userservice_user_service,
  file_userservice_chat_room,
  file_grpc_health_v1_health,
  file_grpc_reflection_v1_reflection,
  file_google_rpc_error_details,
  file_google_protobuf_descriptor, // proto2: explicit presence, defaults on the prototype, packed and unpacked lists
];

/** A small seeded generator, so that a failure names a case that can be run again. */
export function randomSource(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T,>(items: readonly T[]) => items[int(items.length)] as T;
  return { next, int, pick };
}
export type Random = ReturnType<typeof randomSource>;

const STRINGS = ["", "a", "Berkshire Valley Management Area Trail, Jefferson, NJ, USA", "ünïcødé ✓ 🗺", "x".repeat(127), "y".repeat(128), "z".repeat(20_000), "lone \ud800 surrogate"];
const INT32S = [0, 1, -1, 127, 128, 300, 16_383, 16_384, -746188906, 409146138, 2 ** 31 - 1, -(2 ** 31)];
const UINT32S = [0, 1, 127, 128, 2 ** 28, 2 ** 32 - 1];
const INT64S = [0n, 1n, -1n, 128n, 1_700_000_000_000n, 2n ** 63n - 1n, -(2n ** 63n)];
const UINT64S = [0n, 1n, 2n ** 35n, 2n ** 64n - 1n];
const DOUBLES = [0, -0, 1.5, -3.25e300, Number.NaN, Number.POSITIVE_INFINITY, 5e-324];
const FLOATS = [0, -0, 1.5, -2.5e38, Number.NaN, Number.NEGATIVE_INFINITY, 0.1];

function scalarValue(random: Random, scalar: ScalarType): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return random.pick(STRINGS);
    case ScalarType.BYTES:
      return random.pick([new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(7)]);
    case ScalarType.BOOL:
      return random.next() < 0.5;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return random.pick(INT32S);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return random.pick(UINT32S);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return random.pick(INT64S);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return random.pick(UINT64S);
    case ScalarType.DOUBLE:
      return random.pick(DOUBLES);
    case ScalarType.FLOAT:
      return random.pick(FLOATS);
  }
}

function fieldValue(random: Random, field: DescField, depth: number): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return scalarValue(random, field.scalar);
    case "enum":
      return random.pick(field.enum.values).number;
    case "message":
      return depth > 3 ? undefined : randomInit(random, field.message, depth + 1);
    case "list": {
      const items: unknown[] = [];
      const count = depth > 3 ? 0 : random.int(4);
      for (let i = 0; i < count; i++) {
        if (field.listKind === "message") items.push(randomInit(random, field.message, depth + 1));
        else if (field.listKind === "enum") items.push(random.pick(field.enum.values).number);
        else items.push(scalarValue(random, field.scalar));
      }
      return items;
    }
    case "map":
      return {};
  }
}

/** An init object for `schema` with a random subset of its fields set to random values. */
export function randomInit(random: Random, schema: DescMessage, depth = 0): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const field of schema.fields) {
    if (random.next() < 0.3) continue;
    const value = fieldValue(random, field, depth);
    if (value === undefined) continue;
    if (field.oneof !== undefined) init[field.oneof.localName] = { case: field.localName, value };
    else init[field.localName] = value;
  }
  return init;
}

export function allMessages(files: readonly DescFile[]): DescMessage[] {
  const found: DescMessage[] = [];
  const visit = (message: DescMessage) => {
    found.push(message);
    message.nestedMessages.forEach(visit);
  };
  for (const file of files) file.messages.forEach(visit);
  return found;
}

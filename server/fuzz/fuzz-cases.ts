import { create, type DescMessage, type DescMethod, type DescService, toBinary } from "@bufbuild/protobuf";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../../gen/routeguide/route_notes_pb.js";
import { ChatRoomService } from "../../gen/userservice/chat_room_pb.js";
import { UserService } from "../../gen/userservice/user_service_pb.js";

/** Marks every password the fuzzer sends: it must never appear in the server's logs. */
export const SECRET_MARKER = "fuzz-secret-";

export type Protocol = "grpc" | "grpc-web" | "connect" | "connect-get";

/** One generated request, described fully so that a failure can be replayed by its seed. */
export interface FuzzCase {
  seed: number;
  method: DescMethod;
  protocol: Protocol;
  httpVersion: "1.1" | "2";
  headers: Record<string, string>;
  /** Path and query (Connect GET carries the message in the query). */
  path: string;
  body: Buffer;
  /** What the body was made of, for reports. */
  shape: string;
}

export const FUZZED_SERVICES: readonly DescService[] = [RouteGuide, RouteNotesService, UserService, ChatRoomService, Health, ServerReflection];

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(256)));
  return { next, int, pick, bytes, chance: (p: number) => next() < p };
}
type Random = ReturnType<typeof randomSource>;

const HUGE_NUMBERS = [0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e309, -1e309, 0.5, Number.NaN];
const STRINGS = ["", "a", "ümlaut ✓", "\u0000", "%00", "x".repeat(5000), "1e400", "true", "null", "-9223372036854775809"];

/** A JSON value of a random kind: the right shape sometimes, wrong types and extremes often. */
function jsonValue(random: Random, depth = 0): unknown {
  switch (random.int(depth > 2 ? 4 : 7)) {
    case 0:
      return random.pick(HUGE_NUMBERS);
    case 1:
      return random.pick(STRINGS);
    case 2:
      return random.chance(0.5);
    case 3:
      return null;
    case 4:
      return Array.from({ length: random.int(4) }, () => jsonValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: random.int(4) }, () => [random.pick(FIELD_NAMES), jsonValue(random, depth + 1)]));
  }
}

const FIELD_NAMES = ["latitude", "longitude", "lo", "hi", "location", "message", "name", "id", "username", "email", "password", "pageSize", "page_size", "pageToken", "afterId", "after_id", "area", "heartbeats", "text", "userId", "service", "host", "listServices", "fileByFilename", "__proto__", "constructor"];

/** A JSON request body: the method's fields with random values, or junk that is not JSON at all. */
function jsonBody(random: Random, input: DescMessage): { text: string; shape: string } {
  const roll = random.int(10);
  if (roll === 0) return { text: random.pick(["", "{", "[]", "nul", '{"a":', "\u0000{}", '{"latitude": 1e999999}', "{}".repeat(1000)]), shape: "json: not json" };
  if (roll === 1) return { text: JSON.stringify(jsonValue(random)), shape: "json: random value" };
  const object: Record<string, unknown> = {};
  for (const field of input.fields) if (random.chance(0.7)) object[random.chance(0.5) ? field.jsonName : field.name] = jsonValue(random);
  if (random.chance(0.3)) object[random.pick(FIELD_NAMES)] = jsonValue(random);
  if (random.chance(0.3)) object.password = `${SECRET_MARKER}${random.int(1e6)}`;
  return { text: JSON.stringify(object), shape: "json: fields with random values" };
}

/** A protobuf request body: valid, truncated, mutated, or random bytes. */
function binaryBody(random: Random, input: DescMessage): { bytes: Buffer; shape: string } {
  const valid = (): Buffer => {
    const init: Record<string, unknown> = {};
    for (const field of input.fields) {
      if (field.fieldKind !== "scalar") continue;
      // Passwords carry the marker that must never reach a log; other strings are just odd.
      const value = field.scalar !== 9 ? undefined : field.name === "password" ? `${SECRET_MARKER}${random.int(1e6)}` : random.pick(STRINGS);
      if (value !== undefined) init[field.localName] = value;
    }
    try {
      return Buffer.from(toBinary(input, create(input, init as never)));
    } catch {
      return Buffer.alloc(0);
    }
  };
  switch (random.int(5)) {
    case 0:
      return { bytes: random.bytes(random.int(300)), shape: "proto: random bytes" };
    case 1: {
      const bytes = valid();
      return { bytes: bytes.subarray(0, random.int(bytes.length + 1)), shape: "proto: truncated" };
    }
    case 2: {
      const bytes = Buffer.from(valid());
      for (let i = 0; i < 1 + random.int(4) && bytes.length > 0; i++) bytes[random.int(bytes.length)] = random.int(256);
      return { bytes, shape: "proto: mutated" };
    }
    case 3:
      // A field with a huge varint length, or a wrong wire type.
      return { bytes: Buffer.from(random.pick([[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x0b], [0x0f, 0x00], [0x12, 0x05, 0x41]])), shape: "proto: bad wire data" };
    default:
      return { bytes: valid(), shape: "proto: valid" };
  }
}

/** Length-prefixed frames around a body, sometimes wrong: bad flags, lying lengths, extra frames. */
function envelope(random: Random, message: Buffer, endStream: boolean): { bytes: Buffer; shape: string } {
  const frame = (flags: number, payload: Buffer, length = payload.length) => {
    const head = Buffer.alloc(5);
    head[0] = flags;
    head.writeUInt32BE(length >>> 0, 1);
    return Buffer.concat([head, payload]);
  };
  const end = endStream ? frame(0x02, Buffer.from("{}")) : Buffer.alloc(0);
  switch (random.int(8)) {
    case 0:
      return { bytes: frame(random.pick([0x01, 0x04, 0x80, 0xff, 0x7f]), message), shape: "envelope: bad flags" };
    case 1:
      return { bytes: frame(0, message, message.length + 1 + random.int(1_000_000)), shape: "envelope: length longer than body" };
    case 2:
      return { bytes: frame(0, message).subarray(0, random.int(5)), shape: "envelope: truncated prefix" };
    case 3:
      return { bytes: Buffer.concat([frame(0, message), frame(0, message), end]), shape: "envelope: two messages" };
    case 4:
      return { bytes: Buffer.alloc(0), shape: "envelope: empty body" };
    case 5:
      return { bytes: frame(0, message, 0x7fffffff), shape: "envelope: 2 GiB announced" };
    default:
      return { bytes: Buffer.concat([frame(0, message), end]), shape: "envelope: well formed" };
  }
}

/** Extra headers: odd deadlines, encodings, tokens and sizes, sometimes. */
function extraHeaders(random: Random, token: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (random.chance(0.5)) headers.authorization = random.chance(0.7) ? `Bearer ${token}` : random.pick(["Bearer", "Bearer v1..", "Basic abc", `Bearer ${"a".repeat(3000)}`, "bearer v1.e30.AAAA"]);
  if (random.chance(0.2)) headers["grpc-timeout"] = random.pick(["1n", "0S", "99999999H", "2147484S", "abc", "-1m", "1", "123456789m", "5S"]);
  if (random.chance(0.2)) headers["connect-timeout-ms"] = random.pick(["0", "-5", "abc", "99999999999", "2147483648", "1"]);
  if (random.chance(0.1)) headers["grpc-encoding"] = random.pick(["gzip", "br", "identity", "zstd", "x"]);
  if (random.chance(0.1)) headers["content-encoding"] = random.pick(["gzip", "br", "deflate"]);
  if (random.chance(0.1)) headers["connect-content-encoding"] = random.pick(["gzip", "br", "x"]);
  if (random.chance(0.1)) headers["x-request-id"] = random.pick(["", "a".repeat(2000), "id with spaces", "ü"]);
  if (random.chance(0.05)) headers[`x-${"h".repeat(random.int(100))}`] = "v".repeat(random.int(8000));
  if (random.chance(0.1)) headers["x-api-key"] = `${SECRET_MARKER}header`;
  return headers;
}

/** Builds the case for one seed. `token` is a valid service token, sent on half the authenticated-looking calls. */
export function generateCase(seed: number, token: string): FuzzCase {
  const random = randomSource(seed);
  const service = random.pick(FUZZED_SERVICES);
  const method = random.pick(service.methods);
  const getable = method.idempotency === 1; // NO_SIDE_EFFECTS
  const protocol: Protocol = random.pick(getable ? ["grpc", "grpc-web", "connect", "connect-get"] : ["grpc", "grpc-web", "connect"]);
  const httpVersion = protocol === "grpc" ? "2" : random.pick(["1.1", "2"] as const);
  const streamingRequest = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
  const connectStreaming = method.methodKind !== "unary";
  const json = protocol !== "grpc-web" && random.chance(0.4);
  const path = `/${service.typeName}/${method.name}`;
  const headers = extraHeaders(random, token);
  const binary = binaryBody(random, method.input);
  const text = jsonBody(random, method.input);
  const message = json ? Buffer.from(text.text) : binary.bytes;
  const shape = json ? text.shape : binary.shape;

  if (protocol === "connect-get") {
    const query = new URLSearchParams({ connect: "v1", encoding: json ? "json" : "proto" });
    const base64 = !json || random.chance(0.3);
    query.set("message", base64 ? (random.chance(0.2) ? random.pick(["!!!", "a=b=c", "%%%", "ü"]) : message.toString("base64url")) : message.toString());
    if (base64) query.set("base64", "1");
    if (random.chance(0.1)) query.set("compression", random.pick(["gzip", "x"]));
    if (random.chance(0.05)) query.delete("connect");
    return { seed, method, protocol, httpVersion, headers, path: `${path}?${query}`, body: Buffer.alloc(0), shape: `get ${shape}` };
  }
  if (protocol === "connect" && !connectStreaming) {
    headers["content-type"] = random.chance(0.05) ? random.pick(["application/xml", "text/plain", "application/json; charset=latin1"]) : json ? "application/json" : "application/proto";
    if (random.chance(0.5)) headers["connect-protocol-version"] = random.pick(["1", "2", ""]);
    return { seed, method, protocol, httpVersion, headers, path, body: message, shape };
  }
  const framed = envelope(random, message, protocol === "connect");
  const contentType = {
    grpc: json ? "application/grpc+json" : random.pick(["application/grpc", "application/grpc+proto"]),
    "grpc-web": random.pick(["application/grpc-web", "application/grpc-web+proto"]),
    connect: json ? "application/connect+json" : "application/connect+proto",
  }[protocol];
  headers["content-type"] = random.chance(0.05) ? `${contentType}+garbage` : contentType;
  if (protocol === "grpc") headers.te = "trailers";
  return { seed, method, protocol, httpVersion, headers, path, body: framed.bytes, shape: `${shape}; ${framed.shape}${streamingRequest ? " (stream)" : ""}` };
}

import { create, type DescField, type DescMessage, ScalarType, toJsonString } from "@bufbuild/protobuf";

/**
 * The JSON form of one message type, as connect's JSON serialization reads and writes it, for
 * less per call.
 *
 * Why: connect's serialization calls protobuf-es with its options object, which protobuf-es
 * copies into a new one on every call, and its parse scans the text for duplicate keys with a
 * new Set per object and a substring per key. For a GetFeature over Connect JSON, on one core
 * (medians of five runs of 500,000): writing the Feature 586 ns by connect, 489 here; reading
 * the Point 898 ns by connect, 448 here. A whole call over h2c, counted by callgrind: 201,899
 * instructions before, 196,756 and 197,364 after (bench/RESULTS.md, "twelfth stop").
 *
 * Writing is protobuf-es's `toJsonString`, without options: connect's options set none of the
 * ones it reads (`alwaysEmitImplicit`, `enumAsInteger`, `useProtoFieldName`, `registry`,
 * `prettySpaces`), so the text is the same. Reading takes the simple case only, and gives
 * everything else to connect's own parse, so that what it accepts it reads as connect would and
 * what it refuses is refused as connect refuses it: objects whose every key is a field's JSON
 * name (not its proto name, not unknown), every value of the field's own JSON type and in
 * range: 32-bit integers as numbers, bool, double as a finite number, well-formed strings, and
 * messages that are not well-known types. No nulls, arrays, maps, enums, oneofs, 64-bit
 * integers, bytes or floats; no duplicate keys (connect refuses them; the text's member count
 * must equal the parsed objects' own).
 */
export interface JsonCodec {
  /** The message read from its JSON text (UTF-8), or connect's error. */
  parse(data: Uint8Array): unknown;
  /** The message's JSON text (UTF-8), or connect's error. */
  serialize(message: unknown): Uint8Array;
}

export interface JsonCodecOptions {
  schema: DescMessage;
  /** connect's own JSON serialization for the type, with its size limits: what the simple case leaves, and every error. */
  connect: JsonCodec;
  /** Largest text parsed here; a larger one goes to `connect`, whose limit refuses it. Default: no limit of its own. */
  readMaxBytes?: number;
}

export function createJsonCodec({ schema, connect, readMaxBytes = Number.POSITIVE_INFINITY }: JsonCodecOptions): JsonCodec {
  const read = simpleReader(schema, new Map());
  return {
    parse(data) {
      if (data.byteLength > readMaxBytes) return connect.parse(data);
      // connect decodes with a TextDecoder too: a malformed byte is U+FFFD in both.
      const text = decoder.decode(data);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return connect.parse(data);
      }
      members = 0;
      const message = create(schema);
      if (read(message, json, 0) && membersIn(text) === members) return message;
      return connect.parse(data);
    },
    serialize(message) {
      let text: string;
      try {
        text = toJsonString(schema, message as never);
      } catch {
        return connect.serialize(message);
      }
      return Buffer.from(text, "utf8");
    },
  };
}

const decoder = new TextDecoder();

/** Object members the readers accepted in the current parse. */
let members = 0;
/** Deeper than this, connect's parse decides (protobuf-es's own limit is 100). */
const MAX_DEPTH = 32;

type Reader = (message: Record<string, unknown>, json: unknown, depth: number) => boolean;

/**
 * Reads `json` into `message` if it is the simple case (see the top of this file); false
 * otherwise, leaving `message` half-read (it is thrown away).
 */
function simpleReader(schema: DescMessage, readers: Map<DescMessage, Reader>): Reader {
  const known = readers.get(schema);
  if (known !== undefined) return known;
  const fields = new Map<string, (message: Record<string, unknown>, value: unknown, depth: number) => boolean>();
  const reader: Reader = (message, json, depth) => {
    if (typeof json !== "object" || json === null || Array.isArray(json) || depth > MAX_DEPTH) return false;
    for (const key in json) {
      const read = fields.get(key);
      if (read === undefined || !read(message, (json as Record<string, unknown>)[key], depth)) return false;
      members++;
    }
    return true;
  };
  // Registered before the fields, so that a recursive type finds itself.
  readers.set(schema, reader);
  for (const field of schema.fields) {
    const read = fieldReader(field, readers);
    if (read !== undefined) fields.set(field.jsonName, read);
  }
  return reader;
}

/** How one field's value is read in the simple case; undefined for a field left to connect. */
function fieldReader(field: DescField, readers: Map<DescMessage, Reader>): ((message: Record<string, unknown>, value: unknown, depth: number) => boolean) | undefined {
  if (field.oneof !== undefined || field.jsonName === "__proto__" || field.localName === "__proto__") return undefined;
  const name = field.localName;
  if (field.fieldKind === "message") {
    const child = field.message;
    if (child.typeName.startsWith("google.protobuf.")) return undefined;
    const readChild = simpleReader(child, readers);
    return (message, value, depth) => {
      const childMessage = create(child) as unknown as Record<string, unknown>;
      if (!readChild(childMessage, value, depth + 1)) return false;
      message[name] = childMessage;
      return true;
    };
  }
  if (field.fieldKind !== "scalar") return undefined;
  const accepts = scalarCheck(field.scalar);
  if (accepts === undefined) return undefined;
  return (message, value) => {
    if (!accepts(value)) return false;
    message[name] = value;
    return true;
  };
}

/** Whether a JSON value is, as it is, the field's value (protobuf-es would store it unchanged). */
function scalarCheck(scalar: ScalarType): ((value: unknown) => boolean) | undefined {
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return (value) => typeof value === "number" && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return (value) => typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
    case ScalarType.BOOL:
      return (value) => typeof value === "boolean";
    case ScalarType.DOUBLE:
      // JSON.parse gives finite numbers only (1e999 is Infinity, which protobuf-es refuses).
      return (value) => typeof value === "number" && Number.isFinite(value);
    case ScalarType.STRING:
      return (value) => typeof value === "string" && (value as string & WellFormedCheck).isWellFormed();
    default:
      return undefined;
  }
}

/** ES2024's String.prototype.isWellFormed (Node 20 and later), which the project's ES2023 lib does not declare. */
interface WellFormedCheck {
  isWellFormed(): boolean;
}

/**
 * The object members in a JSON text that JSON.parse accepted: its colons outside strings. Equal
 * to the members of the parsed objects unless a key was repeated (JSON.parse keeps the last).
 */
function membersIn(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x3a) count++;
    else if (code === 0x22) {
      // To the closing quote, past escaped characters (the text is valid JSON: it is there).
      for (index++; index < text.length; index++) {
        const inner = text.charCodeAt(index);
        if (inner === 0x5c) index++;
        else if (inner === 0x22) break;
      }
    }
  }
  return count;
}

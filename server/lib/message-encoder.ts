import { type DescField, type DescMessage, protoInt64, ScalarType, toBinary } from "@bufbuild/protobuf";
import { envelope } from "./envelope.js";

/**
 * Binary protobuf encoding of response messages, written into one reused buffer and copied out
 * once, as the enveloped frame the streaming protocols send or as the bare message.
 *
 * Why not protobuf-es's `toBinary` alone: each call makes a new writer whose buffer is a fresh
 * 128-byte typed array, and `finish()` slices a second one; both live outside V8's heap and
 * cost about 0.8 µs each here, and the frame around the message is a third copy. `toBinary`
 * took 3.5–4.2 µs for one Feature (bench/RESULTS.md, "Responses encoded into one buffer"),
 * about 7% of a whole GetFeature call on the server. This encoder writes the same bytes (field
 * order, presence, packing, varint forms; message-encoder.test.ts compares them on every
 * message type the services answer with, and on random values) for the field types it knows:
 * 32-bit integers, int64 and uint64, bool, enum, string, bytes, float, double, singular and
 * repeated messages, oneofs. A type with anything else (maps, groups, wrappers and other
 * well-known types, sint64 and the fixed 64-bit types, legacy required fields) is left to
 * `toBinary`, and so is any message whose values it does not expect (numbers as strings,
 * unknown fields), so that protobuf-es encodes them or throws its own error (or the fallback
 * given, see below).
 */
export interface MessageEncoder {
  /** The message's bytes. */
  bytes(message: object): Uint8Array;
  /** The message as one enveloped frame: flags byte, 4-byte big-endian length, the bytes. */
  frame(message: object, flags?: number): Buffer;
}

/**
 * `fallback` serializes what the encoder leaves alone; default: `toBinary`. The lean paths give
 * connect's own serializer, so that a message it cannot encode fails as on connect-node's path.
 */
export function createMessageEncoder(schema: DescMessage, fallback: (message: object) => Uint8Array = (message) => toBinary(schema, message as never)): MessageEncoder {
  const write = compiledWriter(schema, new Map());
  return {
    bytes(message) {
      if (write === undefined || !encode(write, message, 0)) return fallback(message);
      return copyOut();
    },
    frame(message, flags = 0) {
      if (write === undefined || !encode(write, message, 5)) return envelope(fallback(message), flags);
      const length = pos - 5;
      buf[0] = flags;
      buf.writeUInt32BE(length, 1);
      return copyOut();
    },
  };
}

// The one scratch buffer; encoding is synchronous and never re-entered. It grows for a large
// message, and back to its first size at the next message once past KEPT_BYTES.
const FIRST_BYTES = 16 * 1024;
const KEPT_BYTES = 1024 * 1024;
let buf = Buffer.allocUnsafeSlow(FIRST_BYTES);
let pos = 0;

/** Thrown by a writer that meets a value it does not expect: the whole message goes to the fallback. */
const UNEXPECTED = new Error("message-encoder: value left to toBinary");

function encode(write: MessageWriter, message: object, start: number): boolean {
  if (buf.length > KEPT_BYTES) buf = Buffer.allocUnsafeSlow(FIRST_BYTES);
  pos = start;
  ensure(start);
  try {
    write(message as Record<string, unknown>);
    return true;
  } catch (error) {
    if (error === UNEXPECTED) return false;
    throw error;
  }
}

/** The bytes written, in a buffer of their own. */
function copyOut(): Buffer {
  const out = Buffer.allocUnsafe(pos);
  buf.copy(out, 0, 0, pos);
  return out;
}

function ensure(bytes: number): void {
  if (pos + bytes <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + bytes) size *= 2;
  const grown = Buffer.allocUnsafeSlow(size);
  buf.copy(grown, 0, 0, pos);
  buf = grown;
}

type MessageWriter = (message: Record<string, unknown>) => void;
type ValueWriter = (value: unknown) => void;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_DELIMITED = 2;
const WIRE_FIXED32 = 5;
const IMPLICIT = 2; // FeatureSet.FieldPresence.IMPLICIT
const LEGACY_REQUIRED = 3;

/** The writer of a message type, or undefined if any of its fields (or its messages') is not one this encoder knows. */
function compiledWriter(schema: DescMessage, compiled: Map<string, MessageWriter | undefined>): MessageWriter | undefined {
  if (compiled.has(schema.typeName)) return compiled.get(schema.typeName);
  // Recursive types refer to themselves through this slot; it is filled before any message is written.
  const slot: { write?: MessageWriter } = {};
  const recursive: MessageWriter = (message) => (slot.write as MessageWriter)(message);
  compiled.set(schema.typeName, recursive);
  const fields: MessageWriter[] = [];
  for (const field of [...schema.fields].sort((a, b) => a.number - b.number)) {
    const writer = compileField(field, compiled);
    if (writer === undefined) {
      compiled.set(schema.typeName, undefined);
      return undefined;
    }
    fields.push(writer);
  }
  const typeName = schema.typeName;
  slot.write = (message) => {
    if (message.$typeName !== typeName) throw UNEXPECTED;
    const unknown = message.$unknown as unknown[] | undefined;
    if (unknown !== undefined && unknown.length > 0) throw UNEXPECTED;
    for (let i = 0; i < fields.length; i++) (fields[i] as MessageWriter)(message);
  };
  return recursive;
}

function compileField(field: DescField, compiled: Map<string, MessageWriter | undefined>): MessageWriter | undefined {
  const name = field.localName;
  const number = field.number;
  if (field.fieldKind === "map" || ("delimitedEncoding" in field && field.delimitedEncoding) || field.presence === LEGACY_REQUIRED) return undefined;
  if (field.fieldKind === "list") {
    if (field.listKind === "message") {
      if (!isPlainMessage(field.message)) return undefined;
      const child = compiledWriter(field.message, compiled);
      if (child === undefined) return undefined;
      return (message) => {
        const items = message[name] as unknown[];
        for (let i = 0; i < items.length; i++) writeChild(number, child, items[i]);
      };
    }
    const scalar = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
    const value = valueWriter(scalar);
    if (value === undefined) return undefined;
    if (field.packed) {
      return (message) => {
        const items = message[name] as unknown[];
        if (items.length === 0) return;
        tag(number, WIRE_DELIMITED);
        const start = fork();
        for (let i = 0; i < items.length; i++) value(items[i]);
        join(start);
      };
    }
    const wireType = wireTypeOf(scalar);
    return (message) => {
      const items = message[name] as unknown[];
      for (let i = 0; i < items.length; i++) {
        tag(number, wireType);
        value(items[i]);
      }
    };
  }
  let writeValue: ValueWriter;
  if (field.fieldKind === "message") {
    if (!isPlainMessage(field.message)) return undefined;
    const child = compiledWriter(field.message, compiled);
    if (child === undefined) return undefined;
    writeValue = (value) => writeChild(number, child, value);
  } else {
    const scalar = field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar;
    const value = valueWriter(scalar);
    if (value === undefined) return undefined;
    const wireType = wireTypeOf(scalar);
    writeValue = (item) => {
      tag(number, wireType);
      value(item);
    };
  }
  if (field.oneof !== undefined) {
    const oneofName = field.oneof.localName;
    return (message) => {
      const oneof = message[oneofName] as { case: string | undefined; value: unknown };
      if (oneof.case === name) writeValue(oneof.value);
    };
  }
  if (field.presence !== IMPLICIT) {
    return (message) => {
      const value = message[name];
      // Fields with explicit presence have defaults on the prototype (proto2): set means own.
      if (value !== undefined && Object.prototype.hasOwnProperty.call(message, name)) writeValue(value);
    };
  }
  // Implicit presence: written unless it is the zero value, as toBinary decides it.
  if (field.fieldKind === "enum") {
    const zero = field.enum.values[0]?.number ?? 0;
    return (message) => {
      const value = message[name];
      if (value !== zero) writeValue(value);
    };
  }
  if (field.fieldKind === "message") return undefined; // messages always have explicit presence
  switch (field.scalar) {
    case ScalarType.BOOL:
      return (message) => void (message[name] !== false && writeValue(message[name]));
    case ScalarType.STRING:
      return (message) => void (message[name] !== "" && writeValue(message[name]));
    case ScalarType.BYTES:
      return (message) => {
        const value = message[name];
        if (!(value instanceof Uint8Array) || value.byteLength > 0) writeValue(value);
      };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return (message) => void (!Object.is(message[name], 0) && writeValue(message[name]));
    default:
      // Loose, as toBinary compares: 0, 0n and "0" are all zero.
      return (message) => void (message[name] != 0 && writeValue(message[name]));
  }
}

/** Messages held as themselves: not google.protobuf's wrappers, Struct, Value or ListValue, which protobuf-es maps to other values. */
function isPlainMessage(schema: DescMessage): boolean {
  return !schema.typeName.startsWith("google.protobuf.");
}

function wireTypeOf(scalar: ScalarType): number {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WIRE_DELIMITED;
    case ScalarType.DOUBLE:
      return WIRE_FIXED64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WIRE_FIXED32;
    default:
      return WIRE_VARINT;
  }
}

function valueWriter(scalar: ScalarType): ValueWriter | undefined {
  switch (scalar) {
    case ScalarType.INT32:
      return (value) => {
        if (typeof value !== "number" || (value | 0) !== value) throw UNEXPECTED;
        if (value >= 0) varint32(value);
        else varint64(value, -1); // negative int32s are sign-extended to ten bytes
      };
    case ScalarType.UINT32:
      return (value) => {
        if (typeof value !== "number" || value >>> 0 !== value) throw UNEXPECTED;
        varint32(value);
      };
    case ScalarType.SINT32:
      return (value) => {
        if (typeof value !== "number" || (value | 0) !== value) throw UNEXPECTED;
        varint32(((value << 1) ^ (value >> 31)) >>> 0);
      };
    case ScalarType.FIXED32:
      return (value) => {
        if (typeof value !== "number" || value >>> 0 !== value) throw UNEXPECTED;
        ensure(4);
        pos = buf.writeUInt32LE(value, pos);
      };
    case ScalarType.SFIXED32:
      return (value) => {
        if (typeof value !== "number" || (value | 0) !== value) throw UNEXPECTED;
        ensure(4);
        pos = buf.writeInt32LE(value, pos);
      };
    case ScalarType.BOOL:
      return (value) => {
        if (typeof value !== "boolean") throw UNEXPECTED;
        ensure(1);
        buf[pos++] = value ? 1 : 0;
      };
    case ScalarType.DOUBLE:
      return (value) => {
        if (typeof value !== "number") throw UNEXPECTED;
        ensure(8);
        pos = buf.writeDoubleLE(value, pos);
      };
    case ScalarType.FLOAT:
      return (value) => {
        // Out of float32's range protobuf-es throws; Number.NaN and the infinities are fine.
        if (typeof value !== "number" || (Number.isFinite(value) && Math.abs(value) > 3.4028234663852886e38)) throw UNEXPECTED;
        ensure(4);
        pos = buf.writeFloatLE(value, pos);
      };
    case ScalarType.STRING:
      return (value) => {
        if (typeof value !== "string") throw UNEXPECTED;
        ensure(5 + 3 * value.length);
        const start = fork();
        pos += buf.write(value, pos);
        join(start);
      };
    case ScalarType.BYTES:
      return (value) => {
        if (!(value instanceof Uint8Array)) throw UNEXPECTED;
        varint32(value.byteLength);
        ensure(value.byteLength);
        buf.set(value, pos);
        pos += value.byteLength;
      };
    case ScalarType.INT64:
      return (value) => {
        if (typeof value !== "bigint") throw UNEXPECTED;
        const { lo, hi } = protoInt64.enc(value);
        varint64(lo, hi);
      };
    case ScalarType.UINT64:
      return (value) => {
        if (typeof value !== "bigint") throw UNEXPECTED;
        const { lo, hi } = protoInt64.uEnc(value);
        varint64(lo, hi);
      };
    default:
      return undefined; // sint64, fixed64, sfixed64: toBinary
  }
}

function tag(number: number, wireType: number): void {
  varint32(((number << 3) | wireType) >>> 0);
}

function writeChild(number: number, child: MessageWriter, value: unknown): void {
  if (typeof value !== "object" || value === null) throw UNEXPECTED;
  tag(number, WIRE_DELIMITED);
  const start = fork();
  child(value as Record<string, unknown>);
  join(start);
}

/** Reserves one byte for a length that is usually under 128; join() widens it if not. */
function fork(): number {
  ensure(1);
  return pos++;
}

function join(start: number): void {
  const length = pos - start - 1;
  const size = varint32Size(length);
  if (size > 1) {
    ensure(size - 1);
    buf.copyWithin(start + size, start + 1, pos);
    pos += size - 1;
  }
  const end = pos;
  pos = start;
  varint32(length);
  pos = end;
}

function varint32Size(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function varint32(value: number): void {
  ensure(5);
  while (value > 0x7f) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[pos++] = value;
}

/** A 64-bit varint from its low and high 32-bit words, as protobuf-es's BinaryWriter writes it. */
function varint64(lo: number, hi: number): void {
  ensure(10);
  for (let i = 0; i < 28; i += 7) {
    const shift = lo >>> i;
    const hasNext = !(shift >>> 7 === 0 && hi === 0);
    buf[pos++] = (hasNext ? shift | 0x80 : shift) & 0xff;
    if (!hasNext) return;
  }
  const splitBits = ((lo >>> 28) & 0x0f) | ((hi & 0x07) << 4);
  const hasMoreBits = hi >> 3 !== 0;
  buf[pos++] = (hasMoreBits ? splitBits | 0x80 : splitBits) & 0xff;
  if (!hasMoreBits) return;
  for (let i = 3; i < 31; i += 7) {
    const shift = hi >>> i;
    const hasNext = shift >>> 7 !== 0;
    buf[pos++] = (hasNext ? shift | 0x80 : shift) & 0xff;
    if (!hasNext) return;
  }
  buf[pos++] = (hi >>> 31) & 0x01;
}

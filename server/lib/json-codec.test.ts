import { create, type DescMessage, toBinary, toJsonString } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { createMethodSerializationLookup } from "@connectrpc/connect/protocol";
import { describe, expect, it } from "vitest";
import { PointSchema, RectangleSchema, RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { allMessages, FILES, randomInit, randomSource } from "../test-support/random-messages.js";
import { utf8Encoder } from "../http/lean-routes.js";
import { createJsonCodec, type JsonCodec } from "./json-codec.js";

const READ_MAX_BYTES = 64 * 1024;

/** connect's JSON serialization for `schema`, as the lean routes make it (lean-routes.ts), and the codec over it, counting what it leaves to connect. */
function codecs(schema: DescMessage) {
  const method = { ...RouteGuide.method.getFeature, input: schema, output: schema };
  const lookup = createMethodSerializationLookup(method as never, undefined, { textEncoder: utf8Encoder } as never, { readMaxBytes: READ_MAX_BYTES, writeMaxBytes: 0xffffffff });
  const connect = lookup.getI(false) as JsonCodec;
  const left = { parse: 0, serialize: 0 };
  const counted: JsonCodec = {
    parse: (data) => (left.parse++, connect.parse(data)),
    serialize: (message) => (left.serialize++, connect.serialize(message)),
  };
  return { connect, codec: createJsonCodec({ schema, connect: counted, readMaxBytes: READ_MAX_BYTES }), left };
}

/** What a parse gave: the message's wire bytes and JSON (presence included), or the error's code and words. */
function outcome(schema: DescMessage, run: () => unknown): { message?: unknown; binary?: string; error?: string } {
  try {
    const message = run();
    let binary: string;
    try {
      binary = Buffer.from(toBinary(schema, message as never)).toString("hex");
    } catch (error) {
      binary = `unencodable: ${(error as Error).message}`;
    }
    return { message, binary };
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    return { error: `${(error as ConnectError).code} ${(error as ConnectError).message}` };
  }
}

function expectSameParse(schema: DescMessage, text: string | Uint8Array, label: string): void {
  const { connect, codec } = codecs(schema);
  const data = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const expected = outcome(schema, () => connect.parse(data));
  const actual = outcome(schema, () => codec.parse(data));
  expect(actual.error, label).toBe(expected.error);
  expect(actual.binary, label).toBe(expected.binary);
  if (expected.message !== undefined) {
    // equals() holds NaN unequal to itself: the JSON of every field, set or not, says the same.
    expect(jsonOf(schema, actual.message), label).toBe(jsonOf(schema, expected.message));
    expect(Object.keys(actual.message as object).sort(), `${label} (fields present)`).toEqual(Object.keys(expected.message as object).sort());
  }
}

function jsonOf(schema: DescMessage, message: unknown): string {
  try {
    return toJsonString(schema, message as never, { alwaysEmitImplicit: true });
  } catch (error) {
    return `unwritable: ${(error as Error).message}`;
  }
}

/** Texts a client might send for `schema`, from one valid text: renamed, repeated, nulled, mistyped, nested, broken. */
function variants(schema: DescMessage, text: string): string[] {
  const json = JSON.parse(text) as Record<string, unknown>;
  const keys = Object.keys(json);
  const out = [text, JSON.stringify(json, null, 2), `{"unknownKey":1,${text.slice(1)}`, `[${text}]`, "null", "12", '"text"', text.slice(0, -1), `{"__proto__":${text}}`];
  for (const key of keys) {
    const value = JSON.stringify(json[key]);
    const rest = text.slice(1);
    out.push(`{${JSON.stringify(key)}:${value},${rest}`); // the same key twice
    out.push(`{"\\u${key.charCodeAt(0).toString(16).padStart(4, "0")}${key.slice(1)}":${value},${rest}`); // twice, once escaped
    out.push(JSON.stringify({ ...json, [key]: null }));
    out.push(JSON.stringify({ ...json, [key]: typeof json[key] === "number" ? String(json[key]) : 7 }));
    out.push(JSON.stringify({ ...json, [key]: [json[key]] }));
    const field = schema.fields.find((candidate) => candidate.jsonName === key);
    if (field !== undefined && field.name !== key) {
      const renamed: Record<string, unknown> = {};
      for (const other of keys) renamed[other === key ? field.name : other] = json[other];
      out.push(JSON.stringify(renamed));
      out.push(`{${JSON.stringify(field.name)}:${value},${rest}`); // by both names
    }
    if (typeof json[key] === "object" && json[key] !== null && !Array.isArray(json[key])) {
      const inner = JSON.stringify(json[key]);
      if (inner !== "{}") out.push(JSON.stringify({ ...json, [key]: "PLACEHOLDER" }).replace('"PLACEHOLDER"', `{${inner.slice(1, inner.indexOf(":"))}:1,${inner.slice(1)}`));
    }
  }
  return out;
}

describe("the JSON codec", () => {
  it.each(allMessages(FILES).map((schema) => [schema.typeName, schema] as const))("reads and writes %s as connect's JSON serialization does", (_name, schema) => {
    for (let seed = 1; seed <= 40; seed++) {
      const message = create(schema, randomInit(randomSource(seed), schema) as never);
      const { connect, codec } = codecs(schema);
      const written = outcome(schema, () => connect.serialize(message));
      if (written.error !== undefined) {
        expect(() => codec.serialize(message), `seed ${seed}`).toThrow(written.error.slice(written.error.indexOf(" ") + 1));
        continue;
      }
      const text = Buffer.from(connect.serialize(message)).toString("utf8");
      expect(Buffer.from(codec.serialize(message)).toString("utf8"), `seed ${seed} (written)`).toBe(text);
      for (const variant of variants(schema, text)) expectSameParse(schema, variant, `seed ${seed}: ${variant.slice(0, 200)}`);
    }
  });

  it("reads a browser's Point and Rectangle itself, and leaves to connect what it does not take", () => {
    const point = codecs(PointSchema);
    expect(point.codec.parse(Buffer.from('{"latitude":409146138,"longitude":-746188906}'))).toEqual(create(PointSchema, { latitude: 409146138, longitude: -746188906 }));
    const rectangle = codecs(RectangleSchema);
    rectangle.codec.parse(Buffer.from('{"lo":{"latitude":400000000,"longitude":-750000000},"hi":{"latitude":420000000,"longitude":-730000000}}'));
    const feature = codecs(RouteGuide.method.getFeature.output);
    expect(feature.codec.parse(Buffer.from('{"name":"a\\":\\\\","location":{"latitude":1}}'))).toMatchObject({ name: 'a":\\', location: { latitude: 1 } });
    expect(point.left.parse + rectangle.left.parse + feature.left.parse).toBe(0);

    for (const text of ['{"latitude":1,"latitude":2}', '{"lo":{"latitude":1,"latitude":2}}', '{"l\\u0061titude":1,"latitude":2}', '{"latitude":"1"}', '{"latitude":null}', '{"latitude":1.5}', '{"latitude":2147483648}', '{"other":1}', "[]"]) {
      const { schema, codec, left } = text.startsWith('{"lo"') ? { schema: RectangleSchema, ...rectangle } : { schema: PointSchema, ...point };
      expectSameParse(schema, text, text);
      const before = left.parse;
      outcome(schema, () => codec.parse(Buffer.from(text)));
      expect(left.parse, text).toBe(before + 1);
    }
  });

  it("refuses what connect refuses, with connect's words: bad UTF-8, lone surrogates, too large", () => {
    expectSameParse(PointSchema, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), "bad UTF-8 in a key");
    expectSameParse(RouteGuide.method.getFeature.output, '{"name":"lone \\ud800"}', "lone surrogate");
    expectSameParse(RouteGuide.method.getFeature.output, '{"name":"a\\":b","location":{"latitude":1}}', "colon and quote in a string");
    expectSameParse(PointSchema, `{"latitude":1,"longitude":2${" ".repeat(READ_MAX_BYTES)}}`, "over the size limit");
    expectSameParse(PointSchema, "{}", "empty");
  });
});

import { create, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, StructSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { FeatureSchema } from "../../gen/routeguide/route_guide_pb.js";
import { allMessages, FILES, randomInit, randomSource } from "../test-support/random-messages.js";
import { envelope } from "./envelope.js";
import { createMessageEncoder } from "./message-encoder.js";

describe("the message encoder", () => {
  it.each(allMessages(FILES).map((schema) => [schema.typeName, schema] as const))("writes %s as toBinary does, on random messages", (_name, schema) => {
    const encoder = createMessageEncoder(schema);
    for (let seed = 1; seed <= 150; seed++) {
      const message = create(schema, randomInit(randomSource(seed), schema) as never);
      let expected: Uint8Array;
      try {
        expected = toBinary(schema, message);
      } catch (error) {
        // Legacy required fields left unset (descriptor.proto): the same error.
        expect(() => encoder.bytes(message), `seed ${seed}`).toThrow((error as Error).message);
        continue;
      }
      expect(Buffer.from(encoder.bytes(message)).toString("hex"), `seed ${seed}`).toBe(Buffer.from(expected).toString("hex"));
      expect(encoder.frame(message, 0x80).equals(envelope(expected, 0x80)), `seed ${seed} (frame)`).toBe(true);
    }
  });

  it("writes a Feature as toBinary does, and frames it", () => {
    const feature = create(FeatureSchema, { name: "Berkshire Valley Management Area Trail, Jefferson, NJ, USA", location: { latitude: 409146138, longitude: -746188906 } });
    const encoder = createMessageEncoder(FeatureSchema);
    expect(Buffer.from(encoder.bytes(feature))).toEqual(Buffer.from(toBinary(FeatureSchema, feature)));
    expect(encoder.frame(feature)).toEqual(envelope(toBinary(FeatureSchema, feature)));
  });

  it("leaves to toBinary the types it does not know (a map of Values) and values it does not expect, and throws as toBinary throws", () => {
    const struct = create(StructSchema, { fields: { a: create(ValueSchema, { kind: { case: "numberValue", value: 1 } }) } });
    expect(Buffer.from(createMessageEncoder(StructSchema).bytes(struct))).toEqual(Buffer.from(toBinary(StructSchema, struct)));

    const encoder = createMessageEncoder(FeatureSchema);
    const fractional = create(FeatureSchema, { location: { latitude: 1.5 } });
    expect(() => encoder.bytes(fractional)).toThrow(captureError(() => toBinary(FeatureSchema, fractional)));
    const asString = create(FeatureSchema, { location: { latitude: "12" as unknown as number } });
    expect(Buffer.from(encoder.bytes(asString))).toEqual(Buffer.from(toBinary(FeatureSchema, asString)));
    const withUnknown = create(FeatureSchema, { name: "x" });
    withUnknown.$unknown = [{ no: 99, wireType: 0, data: new Uint8Array([5]) }];
    expect(Buffer.from(encoder.bytes(withUnknown))).toEqual(Buffer.from(toBinary(FeatureSchema, withUnknown)));
    const foreign = create(FileDescriptorProtoSchema, { name: "x" });
    expect(() => encoder.bytes(foreign as never)).toThrow(captureError(() => toBinary(FeatureSchema, foreign as never)));
  });

  it("encodes a message of megabytes, and small ones after it, as toBinary does", () => {
    const encoder = createMessageEncoder(FeatureSchema);
    for (const name of ["x".repeat(3 * 1024 * 1024), "small", "ü".repeat(40_000), "again"]) {
      const feature = create(FeatureSchema, { name, location: { latitude: -5 } });
      expect(encoder.frame(feature).equals(envelope(toBinary(FeatureSchema, feature)))).toBe(true);
    }
  });

  it("gives each message its own bytes: the scratch buffer is not shared with what it returns", () => {
    const encoder = createMessageEncoder(FeatureSchema);
    const first = encoder.frame(create(FeatureSchema, { name: "first" }));
    const copy = Buffer.from(first);
    encoder.frame(create(FeatureSchema, { name: "second, longer" }));
    expect(first.equals(copy)).toBe(true);
  });
});

function captureError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error");
}

import { createContextKey, createContextValues } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createCallValues } from "./call-values.js";

describe("call values", () => {
  it("behave as connect's createContextValues: defaults, set, overwrite, undefined, delete", () => {
    const name = createContextKey("nobody");
    const count = createContextKey<number | undefined>(7);
    const other = createContextKey("other default");
    for (const values of [createContextValues(), createCallValues()]) {
      expect(values.get(name)).toBe("nobody");
      expect(values.set(name, "ada").set(count, 1)).toBe(values);
      expect([values.get(name), values.get(count), values.get(other)]).toEqual(["ada", 1, "other default"]);
      values.set(count, undefined).set(name, "grace");
      expect([values.get(name), values.get(count)]).toEqual(["grace", undefined]);
      expect(values.delete(name)).toBe(values);
      expect([values.get(name), values.get(count)]).toEqual(["nobody", undefined]);
      values.delete(name).set(other, "set");
      expect([values.get(name), values.get(count), values.get(other)]).toEqual(["nobody", undefined, "set"]);
    }
  });
});

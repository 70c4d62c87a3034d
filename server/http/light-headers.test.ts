import { describe, expect, it } from "vitest";
import { createLightHeaders } from "./light-headers.js";

describe("light headers", () => {
  it("behaves like Headers for what the interceptors and handlers use", () => {
    const light = createLightHeaders();
    const real = new Headers();
    for (const headers of [light, real]) {
      headers.set("Authorization", "Bearer x");
      headers.append("x-tag", "a");
      headers.append("X-Tag", "b");
      headers.set("x-gone", "1");
      headers.delete("X-Gone");
    }
    for (const name of ["authorization", "AUTHORIZATION", "x-tag", "x-gone", "missing"]) {
      expect(light.get(name), name).toBe(real.get(name));
      expect(light.has(name), name).toBe(real.has(name));
    }
    const seen: [string, string][] = [];
    light.forEach((value, name) => seen.push([name, value]));
    expect(seen.sort()).toEqual([...real.entries()].sort());
    expect([...new Headers(light).entries()].sort()).toEqual([...real.entries()].sort());
  });
});

import { describe, expect, it } from "vitest";
import { createLightHeaders } from "./light-headers.js";
import { headersOf } from "./lean-routes.js";

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

  it("headersOf takes every field of Node's request headers but the pseudo-headers, joining repeated ones", () => {
    const headers = headersOf({ ":path": "/a.B/C", ":method": "POST", "content-type": "application/grpc", "x-tag": ["a", "b"], "x-none": undefined, te: "trailers" });
    const seen: [string, string][] = [];
    headers.forEach((value, name) => seen.push([name, value]));
    expect(seen).toEqual([["content-type", "application/grpc"], ["x-tag", "a, b"], ["te", "trailers"]]);
    headers.set("x-request-id", "1");
    headers.delete("x-tag");
    expect([headers.get("x-request-id"), headers.get("x-tag"), headers.get("te")]).toEqual(["1", null, "trailers"]);
    expect(headersOf({ ":path": "/" }).has("path")).toBe(false);
  });
});

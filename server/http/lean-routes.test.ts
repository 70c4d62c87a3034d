import { describe, expect, it } from "vitest";
import { headersOf, headersOfRaw } from "./lean-routes.js";

/** Node's header object for raw headers, as its HTTP/2 layer builds it for these cases. */
function entries(headers: Headers): [string, string][] {
  const all: [string, string][] = [];
  headers.forEach((value, name) => all.push([name, value]));
  return all;
}

describe("headersOfRaw", () => {
  it("gives what headersOf gives: pseudo-headers left out, in order", () => {
    const raw = [":method", "POST", ":path", "/p", "content-type", "application/grpc", "te", "trailers", "x-request-id", "abc", "authorization", "Bearer t"];
    const object = { ":method": "POST", ":path": "/p", "content-type": "application/grpc", te: "trailers", "x-request-id": "abc", authorization: "Bearer t" };
    expect(entries(headersOfRaw(raw, object))).toEqual(entries(headersOf(object)));
    expect(headersOfRaw(raw, object).get("X-Request-Id")).toBe("abc");
  });

  it("takes the values from the header object, which a layer before may have changed", () => {
    const raw = [":path", "/p", "grpc-timeout", "99999999H"];
    expect(headersOfRaw(raw, { ":path": "/p", "grpc-timeout": "2592000S" }).get("grpc-timeout")).toBe("2592000S");
  });

  it("leaves a name sent twice to headersOf, which joins as Node joined", () => {
    const raw = [":path", "/p", "x-a", "1", "cookie", "a=1", "x-a", "2", "cookie", "b=2"];
    const object = { ":path": "/p", "x-a": "1, 2", cookie: "a=1; b=2" };
    expect(entries(headersOfRaw(raw, object))).toEqual([
      ["x-a", "1, 2"],
      ["cookie", "a=1; b=2"],
    ]);
  });
});

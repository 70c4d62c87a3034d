import { describe, expect, it } from "vitest";
import { encodeGrpcMessage } from "./wire-status.js";

describe("encodeGrpcMessage", () => {
  it("keeps printable ASCII, punctuation included", () => {
    expect(encodeGrpcMessage('username: "x", got 1/2?')).toBe('username: "x", got 1/2?');
  });

  it("escapes percent, control characters and non-ASCII as UTF-8 bytes", () => {
    expect(encodeGrpcMessage("100%\n±é😀")).toBe("100%25%0A%C2%B1%C3%A9%F0%9F%98%80");
  });

  it("round-trips through decodeURIComponent (connect clients) and decodeURI (grpc-js)", () => {
    const message = "a: b, c/d ± 50% 😀";
    expect(decodeURIComponent(encodeGrpcMessage(message))).toBe(message);
    expect(decodeURI(encodeGrpcMessage(message))).toBe(message);
  });
});

import { describe, expect, it } from "vitest";
import { createTokenSigner } from "./token-signer.js";

describe("createTokenSigner", () => {
  const signer = createTokenSigner({ secret: "a test secret that is at least 32 characters long", now: () => 1_000 });
  const { token } = signer.sign("user-1");

  it("verifies its own tokens, with who and when", () => {
    expect(signer.verify(token)).toEqual({ userId: "user-1", issuedAt: 1_000 });
  });

  it("accepts exactly one spelling of a token", () => {
    const [version, payload, signature] = token.split(".") as [string, string, string];
    const standardAlphabet = (text: string) => text.replace(/-/g, "+").replace(/_/g, "/");
    // The last of 43 characters carries 2 unused bits: flipping one gives the same bytes.
    const lastBits = signature.slice(0, -1) + String.fromCharCode(signature.charCodeAt(42) ^ 1);
    const respellings = [
      `${token}=`,
      `${version}.${payload}.${signature}=`,
      `${version}.${payload}=.${signature}`,
      `${version}.${standardAlphabet(payload)}.${standardAlphabet(signature)}`,
      `${version}.${payload}.${signature}.extra`,
      `${version}.${payload}.${signature} `,
      `${version}.${payload}.${signature}!`,
      `${version}.${payload}.*${signature}`,
      `${version}.${payload}.${lastBits}`,
      `V1.${payload}.${signature}`,
    ];
    for (const respelled of respellings) expect(signer.verify(respelled), respelled).toBeUndefined();
  });

  it("refuses tampered and expired tokens", () => {
    const other = createTokenSigner({ secret: "another secret that is at least 32 characters", now: () => 1_000 }).sign("user-1").token;
    expect(signer.verify(other)).toBeUndefined();
    const later = createTokenSigner({ secret: "a test secret that is at least 32 characters long", now: () => 1_000 + 3_600_001 });
    expect(later.verify(token)).toBeUndefined();
  });
});

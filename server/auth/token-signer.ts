import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Issues and checks bearer tokens: "v1.<payload>.<HMAC-SHA256>", base64url without padding,
 * with an issue time and an expiry. A token has exactly one spelling: padding, the other
 * base64 alphabet, stray characters, non-canonical final characters or extra segments are refused.
 */
export interface TokenSigner {
  sign(userId: string): { token: string; expiresAt: number };
  /** Who the token was issued to and when, or undefined for a malformed, tampered or expired token. */
  verify(token: string): VerifiedToken | undefined;
}

export interface VerifiedToken {
  userId: string;
  /** Unix time in milliseconds. */
  issuedAt: number;
}

/** v1, a base64url payload, and a 32-byte HMAC as 43 base64url characters. */
const TOKEN_SHAPE = /^v1\.([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/;

export interface TokenSignerOptions {
  /**
   * The HMAC key. Default: random per process, so tokens end with a restart; set AUTH_SECRET
   * (at least 32 characters) to keep them valid across restarts and between instances.
   */
  secret?: string;
  /** Token lifetime. Default: 3,600,000 ms (one hour). */
  ttlMs?: number;
  /** Milliseconds since the epoch. Default: Date.now. */
  now?: () => number;
}

interface Payload {
  sub: string;
  iat: number;
  exp: number;
}

export function createTokenSigner(options: TokenSignerOptions = {}): TokenSigner {
  const secret = options.secret ?? randomBytes(32).toString("base64url");
  const ttlMs = options.ttlMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const mac = (data: string) => createHmac("sha256", secret).update(data).digest();

  return {
    sign(userId) {
      const issuedAt = now();
      const expiresAt = issuedAt + ttlMs;
      const payload = Buffer.from(JSON.stringify({ sub: userId, iat: issuedAt, exp: expiresAt } satisfies Payload)).toString("base64url");
      return { token: `v1.${payload}.${mac(`v1.${payload}`).toString("base64url")}`, expiresAt };
    },
    verify(token) {
      const match = TOKEN_SHAPE.exec(token);
      if (match === null) return undefined;
      const [, payload, signature] = match as unknown as [string, string, string];
      const actual = Buffer.from(signature, "base64url");
      // Unused low bits in the last character would give one signature several spellings.
      if (actual.toString("base64url") !== signature) return undefined;
      const expected = mac(`v1.${payload}`);
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
      try {
        const { sub, iat, exp } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Payload;
        if (typeof sub !== "string" || typeof iat !== "number" || typeof exp !== "number" || exp <= now()) return undefined;
        return { userId: sub, issuedAt: iat };
      } catch {
        return undefined;
      }
    },
  };
}

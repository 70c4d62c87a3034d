import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Issues and checks bearer tokens: "v1.<payload>.<HMAC-SHA256>", base64url, with an expiry. */
export interface TokenSigner {
  sign(userId: string): { token: string; expiresAt: number };
  /** The user id, or undefined for a malformed, tampered or expired token. */
  verify(token: string): string | undefined;
}

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
  exp: number;
}

export function createTokenSigner(options: TokenSignerOptions = {}): TokenSigner {
  const secret = options.secret ?? randomBytes(32).toString("base64url");
  const ttlMs = options.ttlMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const mac = (data: string) => createHmac("sha256", secret).update(data).digest();

  return {
    sign(userId) {
      const expiresAt = now() + ttlMs;
      const payload = Buffer.from(JSON.stringify({ sub: userId, exp: expiresAt } satisfies Payload)).toString("base64url");
      return { token: `v1.${payload}.${mac(`v1.${payload}`).toString("base64url")}`, expiresAt };
    },
    verify(token) {
      const [version, payload, signature] = token.split(".");
      if (version !== "v1" || payload === undefined || signature === undefined) return undefined;
      const expected = mac(`v1.${payload}`);
      const actual = Buffer.from(signature, "base64url");
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
      try {
        const { sub, exp } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Payload;
        return typeof sub === "string" && typeof exp === "number" && exp > now() ? sub : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

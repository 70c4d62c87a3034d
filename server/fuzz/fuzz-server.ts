import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer, type ServerProcess } from "../test-support/server-process.js";
import { SECRET_MARKER } from "./fuzz-cases.js";

/** The service token fuzz cases send (half of them), and the signing secret: neither may be logged. */
export const FUZZ_TOKEN = "fuzz-service-token-value";
const AUTH_SECRET = "fuzz-auth-secret-fuzz-auth-secret-0123";

export interface FuzzServer {
  process: ServerProcess;
  /** Stops the server (SIGTERM) and removes its database; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Secrets found in what the server printed (should be none). */
  loggedSecrets(): string[];
}

/**
 * The server as `npm start` runs it, with a small heap, a throwaway database, every log line
 * (debug), and the rate limits lifted so that cases reach the handlers.
 */
export async function startFuzzServer(heapMb = 160): Promise<FuzzServer> {
  const dir = mkdtempSync(join(tmpdir(), "fuzz-"));
  const process = await spawnServer(
    {
      DATABASE_URL: `sqlite:${join(dir, "fuzz.db")}`,
      AUTH_TOKENS: FUZZ_TOKEN,
      AUTH_SECRET,
      LOG_LEVEL: "debug",
      RATE_LIMIT_NOTES: "off",
      RATE_LIMIT_CHAT: "off",
      RATE_LIMIT_SIGNUP: "off",
      RATE_LIMIT_LOGIN: "off",
    },
    { nodeArgs: [`--max-old-space-size=${heapMb}`] },
  );
  return {
    process,
    async stop() {
      const code = await process.stop("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
    loggedSecrets() {
      const output = process.output();
      return [SECRET_MARKER, FUZZ_TOKEN, AUTH_SECRET].filter((secret) => output.includes(secret));
    },
  };
}

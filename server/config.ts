import { DEFAULT_DATABASE_URL } from "./storage/open-storage.js";

/** Everything the server reads from its environment; each variable is documented in the README. */
export interface ServerConfig {
  /** HOST. Default: 127.0.0.1 (set 0.0.0.0 to accept connections from other machines). */
  host: string;
  /** PORT. Default: 8080. */
  port: number;
  /** DATABASE_URL. Default: sqlite:data/app.db. */
  databaseUrl: string;
  /** CORS_ORIGINS, comma-separated. Default: none. */
  corsOrigins: string[];
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${env.PORT}"`);
  }
  return {
    host: env.HOST || "127.0.0.1",
    port,
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    corsOrigins: (env.CORS_ORIGINS ?? "")
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ""),
  };
}

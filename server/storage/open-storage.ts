import { resolve } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { openSqliteStorage } from "./sqlite-storage.js";
import type { Storage } from "./storage.js";

/** Where data lives when DATABASE_URL is not set: a file under ./data/ of the working directory. */
export const DEFAULT_DATABASE_URL = "sqlite:data/app.db";

/**
 * Opens the storage named by a DATABASE_URL: `sqlite:PATH` (relative to the working
 * directory) or `sqlite::memory:`. Other schemes are refused with a message naming them.
 */
export function openStorage(databaseUrl: string = DEFAULT_DATABASE_URL): Storage {
  const match = /^sqlite:(.+)$/.exec(databaseUrl);
  if (match === null) {
    throw new ConnectError(
      `DATABASE_URL "${databaseUrl}" is not supported: use sqlite:PATH or sqlite::memory:`,
      Code.InvalidArgument,
    );
  }
  const path = match[1] as string;
  return openSqliteStorage({ path: path === ":memory:" ? path : resolve(path) });
}

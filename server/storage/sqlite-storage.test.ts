import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStorage } from "./sqlite-storage.js";
import { describeStorageContract } from "./storage-contract.js";

describeStorageContract("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "storage-contract-"));
  const path = join(dir, "app.db");
  return {
    open: async () => openSqliteStorage({ path }),
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

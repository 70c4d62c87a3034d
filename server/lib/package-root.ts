import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository's root (the directory of package.json), found from this module's own place, so
 * files that ship beside the code (the feature database, the built web app) are found the same
 * way from the TypeScript sources (tests, `npm run dev`) and from the compiled build/ (`npm start`).
 */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(from: string): string {
  for (let directory = from; ; directory = dirname(directory)) {
    if (existsSync(join(directory, "package.json"))) return directory;
    if (dirname(directory) === directory) throw new Error(`no package.json above ${from}`);
  }
}

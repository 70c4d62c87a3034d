import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("..", import.meta.url).pathname;

interface LockEntry {
  optionalDependencies?: Record<string, string>;
}

/**
 * `npm ci` refuses a lock that lacks an optional platform package any dependency lists (a
 * lock written on one platform by an npm that dropped the others, or a version the registry
 * lacks for some platform), so users on macOS or Windows could not install.
 */
describe("package-lock.json", () => {
  const lock = JSON.parse(readFileSync(`${root}package-lock.json`, "utf8")) as { packages: Record<string, LockEntry> };

  it("records every optional (platform) dependency of every package", () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        // npm resolves a dependency nested under its dependent first, then hoisted.
        if (!(`${path}/node_modules/${name}` in lock.packages) && !(`node_modules/${name}` in lock.packages)) missing.push(`${name} (for ${path})`);
      }
    }
    expect(missing).toEqual([]);
  });

  // npm ci itself, pretending to be each platform: --dry-run downloads nothing.
  for (const [os, cpu] of [["linux", "x64"], ["linux", "arm64"], ["darwin", "arm64"], ["darwin", "x64"], ["win32", "x64"]]) {
    it(`is accepted by npm ci on ${os}-${cpu}`, () => {
      const npm = process.platform === "win32" ? "npm.cmd" : "npm";
      const output = execFileSync(npm, ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund", `--os=${os}`, `--cpu=${cpu}`], {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      expect(output).not.toMatch(/Missing:/);
    });
  }
});

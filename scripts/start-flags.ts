import { readFileSync } from "node:fs";

/**
 * Node's flags for the production start, read from `npm start` (package.json), so that
 * whatever starts the compiled server the way production does (the benchmark, the Dockerfile's
 * test) cannot drift from it.
 */
export function startNodeFlags(root: string): string[] {
  const scripts = (JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { scripts: Record<string, string> }).scripts;
  const match = /^node((?: --[\w-]+(?:=\S+)?)*) build\/server\/main\.js$/.exec(scripts.start ?? "");
  if (!match) throw new Error(`npm start is not "node [--flags] build/server/main.js": ${scripts.start}`);
  return (match[1] as string).split(" ").filter(Boolean);
}

import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("..", import.meta.url).pathname;
const copies: string[] = [];
afterAll(() => copies.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** scripts/check-breaking.sh on a copy of the repository's protos with one edit applied. */
async function checkWithEdit(file: string, from: string, to: string): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), "breaking-"));
  copies.push(dir);
  for (const path of ["proto", "proto-baseline", "buf.yaml", "scripts/check-breaking.sh"]) cpSync(join(root, path), join(dir, path), { recursive: true });
  const path = join(dir, "proto", file);
  const text = readFileSync(path, "utf8");
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
  const env = { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` };
  return run(join(dir, "scripts/check-breaking.sh"), [], { env }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
  );
}

describe("npm run lint:breaking", () => {
  it("fails on a field renumbered in a canonical message", async () => {
    const result = await checkWithEdit("routeguide/route_guide.proto", "int32 longitude = 2;", "int32 longitude = 3;");
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/longitude/);
  }, 60_000);

  it("fails on an addition of ours changed incompatibly since the last release", async () => {
    const result = await checkWithEdit("userservice/user_service.proto", "rpc Logout(LogoutRequest) returns (LogoutResponse) {}", "rpc Logout(stream LogoutRequest) returns (LogoutResponse) {}");
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/Logout/);
  }, 60_000);

  it("passes an additive change", async () => {
    const result = await checkWithEdit("routeguide/route_guide.proto", "int32 longitude = 2;", "int32 longitude = 2;\n  // An addition.\n  int32 altitude = 3;");
    expect(result.output).toContain("compatible");
    expect(result.code).toBe(0);
  }, 60_000);
});

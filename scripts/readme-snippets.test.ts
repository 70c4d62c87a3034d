import { exec } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../server/test-support/test-server.js";

const run = promisify(exec);
const root = new URL("..", import.meta.url).pathname;
const readme = readFileSync(join(root, "README.md"), "utf8");

/** Every command in the README's ```sh blocks, backslash continuations joined, comments dropped. */
function readmeCommands(): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks
    .flatMap((block) => block.replace(/\\\n\s*/g, "").split("\n"))
    .map((line) => line.replace(/\s+#\s.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

// Set-up and long-running commands are what the suite itself is run with.
// The bench runs for minutes; its smoke run has its own test (bench/bench.test.ts).
// The Production section's commands start servers and create a database: server/replicas.test.ts runs the same setup.
const notRunHere = /^npm (install|start|test|run (generate|typecheck|dev|test:e2e|screenshots|bench))|^npx vitest|users chat|npm start|^createdb|^export DATABASE_URL/;

let server: TestServer;
let scratch: string;
let userId = "";
let token = "";
beforeAll(async () => {
  server = await startTestServer();
  scratch = mkdtempSync(join(tmpdir(), "readme-"));
  writeFileSync(join(scratch, "users.jsonl"), '{"username":"grace","email":"grace@example.com","password":"long enough"}\n');
});
afterAll(async () => {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("README snippets", () => {
  const commands = readmeCommands().filter((command) => !notRunHere.test(command));

  it("documents the quick start, the test command and CI", () => {
    expect(readmeCommands()).toEqual(expect.arrayContaining(["npm install && npm start", "npm install && npm test"]));
    expect(readFileSync(join(root, ".ci/run"), "utf8")).toContain("npm install && npm test");
  });

  it("documents every variable the server reads", () => {
    const config = readFileSync(join(root, "server/config.ts"), "utf8");
    // env.NAME, and names handed to the readers as strings ("RATE_LIMIT_NOTES").
    const names = [...config.matchAll(/env\.([A-Z_]+)|"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"/g)].map((m) => m[1] ?? m[2]);
    expect(names).toContain("RATE_LIMIT_NOTES");
    for (const variable of new Set(names)) {
      expect(readme).toContain(`\`${variable}\``);
    }
  });

  it.each(commands.map((command) => [command]))("%s", async (command) => {
    const concrete = command
      .replaceAll("http://127.0.0.1:8080", server.url)
      .replace("<ID>", userId)
      .replace(" users.jsonl", ` ${join(scratch, "users.jsonl")}`)
      .replace("--python_out=/tmp/py --grpc_python_out=/tmp/py", `--python_out=${scratch} --grpc_python_out=${scratch}`)
      // The long runs, run short: the same scripts and flags, minutes cut to seconds.
      .replace("--cases 50000", "--cases 300")
      .replace("--minutes 10", "--minutes 0.05");
    // Each line runs in its own shell, so an exported token is captured and passed on instead.
    const exported = /^export API_TOKEN=\$\((.*)\)$/.exec(concrete);
    const result = await run(exported?.[1] ?? concrete, { cwd: root, env: { ...process.env, API_URL: server.url, API_TOKEN: token, DATABASE_URL: `sqlite:${join(scratch, "readme.db")}` } }).catch((error) => error);
    if (exported) {
      token = result.stdout.trim();
      expect(token).toMatch(/^v1\./);
      return;
    }
    if (command.includes("nobody")) {
      // The documented error example: it must fail, with the code and message.
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("not_found");
      return;
    }
    expect(result.code ?? 0, `${concrete}\n${result.stderr}`).toBe(0);
    if (!command.startsWith("protoc")) expect(result.stdout.trim()).not.toBe("");
    const created = /^created ([0-9a-f-]{36}) /m.exec(result.stdout);
    if (created) userId = created[1] as string;
  }, 120_000);
});

import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test as base, type BrowserContext, type BrowserContextOptions, expect, type Page } from "@playwright/test";
import { spawnServer, type ServerProcess } from "../../server/test-support/server-process.js";
import { openStorage } from "../../server/storage/open-storage.js";
import { seedUsers } from "../../server/users/seed-users.js";

export { expect };

/** Every seeded user's password. */
export const PASSWORD = "password123";
/** Fixed, so tokens stay valid across a server restart within a test. */
const AUTH_SECRET = "e2e-secret-e2e-secret-e2e-secret-e2e";

export interface AppServer {
  /** The page and every protocol, on one port. */
  url: string;
  port: number;
  /** Users user1 ... userN (password PASSWORD), added to the database before the server starts. */
  seed(count: number): Promise<void>;
  /** Starts the server process; `env` adds variables (e.g. a rate limit) to the fixture's own. */
  start(env?: Record<string, string>): Promise<void>;
  /** SIGTERM, as a deploy would; resolves once the process has exited. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  output(): string;
}

/** A page in a browser context of its own (another user, a phone). */
export type NewPage = (options?: BrowserContextOptions) => Promise<Page>;

/** A server process of our own per test, on a free port, with a fresh SQLite file; and pages of their own that close with the test. */
export const test = base.extend<{ server: AppServer; newPage: NewPage }>({
  // Contexts opened from `browser` outlive the test; left open, their pages keep retrying their
  // live streams against the stopped server for the rest of the worker's run.
  newPage: async ({ browser }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (options) => {
      const context = await browser.newContext(options);
      contexts.push(context);
      return context.newPage();
    });
    await Promise.all(contexts.map((context) => context.close()));
  },
  server: async ({}, use, testInfo) => {
    const dir = mkdtempSync(join(tmpdir(), "e2e-"));
    const databaseUrl = `sqlite:${join(dir, "app.db")}`;
    let child: ServerProcess | undefined;
    let port = 0;
    let log = "";
    const server: AppServer = {
      get url() {
        return `http://127.0.0.1:${port}`;
      },
      get port() {
        return port;
      },
      async seed(count) {
        const storage = await openStorage(databaseUrl);
        await seedUsers(storage.users, { count, prefix: "user", password: PASSWORD });
        await storage.close();
      },
      async start(env = {}) {
        child = await spawnServer({ PORT: String(port), DATABASE_URL: databaseUrl, AUTH_SECRET, LOG_LEVEL: "info", SHUTDOWN_GRACE_MS: "2000", ...env });
        port = Number(new URL(child.url).port);
      },
      async stop() {
        if (child === undefined) return;
        await child.stop("SIGTERM");
        log += child.output();
        child = undefined;
      },
      async restart() {
        await server.stop();
        await server.start();
      },
      output: () => log + (child?.output() ?? ""),
    };
    await use(server);
    await server.stop();
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach("server output", { body: server.output() });
    rmSync(dir, { recursive: true, force: true });
  },
});

export async function logIn(page: Page, username = "user1", password = PASSWORD): Promise<void> {
  const form = page.getByRole("form", { name: "Log in" });
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByText(`Signed in as ${username}`)).toBeVisible();
}

export async function chooseProtocol(page: Page, label: "Connect (JSON)" | "Connect (binary)" | "gRPC-Web"): Promise<void> {
  await page.getByRole("radio", { name: label }).check();
}

/**
 * Saves a screenshot for the README: always under test-results/screenshots, and into
 * docs/screenshots when UPDATE_SCREENSHOTS=1 (`npm run screenshots`).
 */
export async function saveScreenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const path = join("test-results", "screenshots", `${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? false });
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    mkdirSync(join("docs", "screenshots"), { recursive: true });
    copyFileSync(path, join("docs", "screenshots", `${name}.png`));
  }
}

/** Posts a RouteChat note from the page's chat panel. */
export async function postNote(page: Page, message: string): Promise<void> {
  const form = page.getByRole("form", { name: "Post a note" });
  await form.getByRole("textbox", { name: "Note", exact: true }).fill(message);
  await form.getByRole("button", { name: "Post" }).click();
}

import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./server/test-support/browser.js";

/**
 * End-to-end tests of the web app in Debian's Chromium (Playwright cannot download its own
 * browser here). Each test starts its own server process on a free port with a fresh database
 * and the built SPA (`npm run build` first; `npm test` does).
 */
export default defineConfig({
  testDir: "web/e2e",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  // Two cores: one browser plus one server process per worker.
  workers: 2,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  outputDir: "test-results/playwright",
  use: {
    browserName: "chromium",
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    viewport: { width: 1280, height: 900 },
    trace: "retain-on-failure",
  },
});

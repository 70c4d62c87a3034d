import { launchChromium } from "../../server/test-support/browser.js";
import { formatNumber, median } from "../lib/stats.js";

export interface BrowserStreamResult {
  protocol: string;
  users: number;
  /** Per run: ms from the click to the first row on screen, and to the last row loaded. */
  firstRowMs: number[];
  lastRowMs: number[];
}

const PROTOCOLS = ["Connect (JSON)", "Connect (binary)", "gRPC-Web"] as const;

/**
 * The web app in Chromium: log in, then "Load all" with 1,000-user pages, timing the first row
 * and the last. The page is reloaded between runs so each starts empty.
 */
export async function measureBrowserStream(url: string, users: number, rounds: number, log: (line: string) => void): Promise<BrowserStreamResult[]> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.getByRole("form", { name: "Log in" }).getByLabel("Username").fill("user1");
    await page.getByRole("form", { name: "Log in" }).getByLabel("Password").fill("password123");
    await page.getByRole("form", { name: "Log in" }).getByRole("button", { name: "Log in" }).click();
    await page.getByText("Signed in as user1").waitFor();
    const results: BrowserStreamResult[] = PROTOCOLS.map((protocol) => ({ protocol, users, firstRowMs: [], lastRowMs: [] }));
    for (let round = 1; round <= rounds; round++) {
      for (const result of results) {
        await page.goto(url);
        await page.getByRole("radio", { name: result.protocol }).check();
        await page.getByLabel("Page size").selectOption("1000");
        await page.evaluate(() => {
          const timing = { start: 0, first: 0, last: 0 };
          (window as any).__timing = timing;
          document.addEventListener("click", () => (timing.start ||= performance.now()), { capture: true, once: true });
          const status = document.querySelector('[data-testid="users-status"]')!;
          new MutationObserver(() => {
            if (!timing.first && document.querySelector('ul[aria-label="Users"] > li')) timing.first = performance.now();
            if (!timing.last && status.getAttribute("data-state") === "done") timing.last = performance.now();
          }).observe(document.body, { subtree: true, childList: true, attributes: true });
        });
        await page.getByRole("button", { name: "Load all" }).click();
        await page.locator(`[data-testid="users-status"][data-state="done"][data-count="${users}"]`).waitFor({ timeout: 120_000 });
        const timing = await page.evaluate(() => (window as any).__timing as { start: number; first: number; last: number });
        result.firstRowMs.push(timing.first - timing.start);
        result.lastRowMs.push(timing.last - timing.start);
        log(`round ${round}: browser ${result.protocol}: first row ${formatNumber(timing.first - timing.start)} ms, last ${formatNumber(timing.last - timing.start)} ms`);
      }
    }
    return results;
  } finally {
    await browser.close();
  }
}

export function browserStreamTable(results: readonly BrowserStreamResult[]): string {
  return [
    "| protocol | users | first row (median ms) | last row (median ms) |",
    "|---|---:|---:|---:|",
    ...results.map((result) => `| ${result.protocol} | ${formatNumber(result.users)} | ${formatNumber(median(result.firstRowMs))} | ${formatNumber(median(result.lastRowMs))} |`),
  ].join("\n");
}

import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium: Playwright cannot download its own browser on this network. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Headless, and nothing that reaches beyond loopback. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

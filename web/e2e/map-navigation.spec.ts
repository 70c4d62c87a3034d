import type { Locator, Page } from "@playwright/test";
import { chooseProtocol, expect, test } from "./fixtures.js";

const zoomOf = async (map: Locator) => Number(await map.getAttribute("data-zoom"));
const contentTransform = (map: Locator) => map.locator("g[transform]").first().getAttribute("transform");

async function openMap(page: Page, url: string): Promise<Locator> {
  await page.goto(url);
  const map = page.getByTestId("route-map");
  await expect(map).toHaveAttribute("aria-label", "Map of 100 route guide features");
  await expect(page.getByTestId("geography")).toBeAttached({ timeout: 30_000 });
  return map;
}

for (const protocol of ["Connect (JSON)", "gRPC-Web"] as const) {
  test(`draws the features on the real geography, offline, over ${protocol}: land, state and county lines, state names`, async ({ page, server }) => {
    await server.start();
    // Nothing but the app's own origin: no tile server is asked for anything.
    const foreign: string[] = [];
    page.on("request", (request) => !request.url().startsWith(server.url) && foreign.push(request.url()));
    await page.goto(server.url);
    await chooseProtocol(page, protocol); // kept in localStorage: the page below streams the features over it
    const map = await openMap(page, server.url);
    for (const layer of ["land", "state-lines", "county-lines"]) {
      expect((await map.locator(`.geography .${layer}`).getAttribute("d"))!.length).toBeGreaterThan(500);
    }
    await expect(map.locator(".state-label", { hasText: "New Jersey" })).toBeAttached();
    // The map keeps the projection's aspect: Mercator around 41°N makes the 1°×2° area about 2.6 times taller than wide.
    const box = (await map.boundingBox())!;
    expect(box.height / box.width).toBeGreaterThan(2.3);
    expect(box.height / box.width).toBeLessThan(2.9);
    expect(foreign).toEqual([]);
  });
}

test("zooms and moves with the wheel, the buttons, the keyboard and a mouse drag", async ({ page, server }) => {
  await server.start();
  const map = await openMap(page, server.url);
  const box = (await map.boundingBox())!;

  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
  await page.mouse.wheel(0, -300);
  await expect.poll(() => zoomOf(map)).toBeGreaterThan(1.5);
  await page.getByRole("button", { name: "Reset view" }).click();
  await expect(map).toHaveAttribute("data-zoom", "1.000");

  await page.getByRole("button", { name: "Zoom in" }).click();
  await expect(map).toHaveAttribute("data-zoom", "1.500");
  await page.getByRole("button", { name: "Zoom out" }).click();
  await expect(map).toHaveAttribute("data-zoom", "1.000");

  await map.focus();
  await page.keyboard.press("+");
  await page.keyboard.press("+");
  await expect(map).toHaveAttribute("data-zoom", "2.250");
  const before = await contentTransform(map);
  await page.keyboard.press("ArrowRight");
  await expect.poll(() => contentTransform(map)).not.toBe(before);
  await page.keyboard.press("0");
  await expect(map).toHaveAttribute("data-zoom", "1.000");

  // In "Move the map" mode a drag moves the content and selects nothing.
  await page.getByRole("button", { name: "Zoom in" }).click();
  await page.getByRole("radio", { name: "Move the map" }).check();
  const moved = await contentTransform(map);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - 60, box.y + box.height / 2 - 80, { steps: 6 });
  await page.mouse.up();
  await expect.poll(() => contentTransform(map)).not.toBe(moved);
  await expect(page.getByTestId("selection-status")).toHaveAttribute("data-state", "idle");
});

test("pinch-zooms with two fingers on a touch screen", async ({ browser, server }) => {
  await server.start();
  const context = await browser.newContext({ hasTouch: true, viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  const map = await openMap(page, server.url);
  await map.scrollIntoViewIfNeeded();
  const box = (await map.boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  // Real touch input through Chromium's DevTools protocol: two fingers moving apart.
  const cdp = await context.newCDPSession(page);
  const fingers = (spread: number) => [
    { x: cx, y: cy - spread, id: 1 },
    { x: cx, y: cy + spread, id: 2 },
  ];
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: fingers(20) });
  for (let spread = 25; spread <= 80; spread += 5) await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: fingers(spread) });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await expect.poll(() => zoomOf(map)).toBeGreaterThan(2);
  await expect(page.getByTestId("selection-status")).toHaveAttribute("data-state", "idle");
  await context.close();
});

import { chooseProtocol, expect, saveScreenshot, test } from "./fixtures.js";

test("streams the features inside a dragged rectangle onto the map", async ({ page, server }) => {
  await server.start();
  await page.goto(server.url);
  const map = page.getByTestId("route-map");
  await expect(map).toHaveAttribute("aria-label", "Map of 100 route guide features");

  const box = (await map.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 8 });
  await page.mouse.up();

  const status = page.getByTestId("selection-status");
  await expect(status).toHaveAttribute("data-state", "done");
  const found = Number((await status.textContent())!.match(/(\d+) features/)![1]);
  expect(found).toBeGreaterThan(0);
  expect(found).toBeLessThan(100);
  await expect(page.getByRole("list", { name: "Features in the rectangle" }).getByRole("listitem")).toHaveCount(found);
  await expect(map.locator("circle.dot.selected")).toHaveCount(found);
  await saveScreenshot(page, "route-map");
});

test("looks up the feature at a clicked point, and opens RouteChat there", async ({ page, server }) => {
  await server.start();
  await page.goto(server.url);
  const map = page.getByTestId("route-map");
  await expect(map).toHaveAttribute("aria-label", "Map of 100 route guide features");

  const dot = map.locator("circle.dot", { has: page.locator("title", { hasText: "Shohola, PA" }) }).first();
  const name = (await dot.locator("title").textContent())!;
  await dot.click();
  const lookup = page.getByTestId("lookup");
  await expect(lookup).toContainText(name);

  await lookup.getByRole("button", { name: "Chat here" }).click();
  await expect(page.getByTestId("chat-place")).toHaveText(name);
  await expect(page.getByTestId("link-state")).toHaveAttribute("data-state", "live");
});

for (const protocol of ["Connect (JSON)", "gRPC-Web"] as const) {
  test(`answers a point looked up again from connect-query's cache, without another GetFeature, over ${protocol}`, async ({ page, server }) => {
    await server.start();
    await page.goto(server.url);
    await chooseProtocol(page, protocol);
    const map = page.getByTestId("route-map");
    await expect(map).toHaveAttribute("aria-label", "Map of 100 route guide features");
    const getFeature: string[] = [];
    page.on("request", (request) => request.url().includes("/routeguide.RouteGuide/GetFeature") && getFeature.push(request.url()));
    const lookup = page.getByTestId("lookup");
    const dot = (name: string) => map.locator("circle.dot", { has: page.locator("title", { hasText: name }) }).first();

    await dot("Shohola, PA").click();
    await expect(lookup).toContainText("Shohola, PA");
    await dot("Kingston, NY").click();
    await expect(lookup).toContainText("Kingston, NY");
    await dot("Shohola, PA").click();
    await expect(lookup).toContainText("Shohola, PA");
    expect(getFeature).toHaveLength(2);
  });
}

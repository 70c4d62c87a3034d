import { chooseProtocol, expect, saveScreenshot, test } from "./fixtures.js";

for (const protocol of ["Connect (JSON)", "gRPC-Web"] as const) {
  test(`draws a route on the map and records it (RecordRoute's browser companion) over ${protocol}`, async ({ page, server }) => {
    await server.start();
    await page.goto(server.url);
    await chooseProtocol(page, protocol);
    const map = page.getByTestId("route-map");
    await expect(map).toHaveAttribute("aria-label", "Map of 100 route guide features");
    await page.getByRole("radio", { name: "Draw a route" }).check();

    // Two canonical features (the reference servers put them 18,327 m apart), then open country.
    const dot = (name: string) => map.locator("circle.dot", { has: page.locator("title", { hasText: name }) }).first();
    await dot("Patriots Path").click();
    await dot("101 New Jersey 10").click();
    await expect(page.getByTestId("route-trace")).toHaveAttribute("data-points", "2");
    const route = page.getByRole("group", { name: "Route" });
    await route.getByRole("button", { name: "Record route" }).click();
    const summary = page.getByTestId("route-summary");
    await expect(summary.getByTestId("summary-points")).toHaveText("2");
    await expect(summary.getByTestId("summary-features")).toHaveText("2");
    await expect(summary.getByTestId("summary-distance")).toHaveAttribute("data-metres", "18327");
    await expect(summary.getByTestId("summary-distance")).toHaveText("18.3 km");
    await expect(summary.getByTestId("summary-elapsed")).toHaveText("0 s");
    if (protocol === "Connect (JSON)") await saveScreenshot(page, "route-recording");

    // A third point away from any feature: the route grows, the old summary goes.
    await map.evaluate((element) => element.scrollIntoView({ block: "end" }));
    const box = (await map.boundingBox())!;
    expect(box.y + box.height * 0.97).toBeLessThan(page.viewportSize()!.height);
    await page.mouse.click(box.x + box.width * 0.03, box.y + box.height * 0.97);
    await expect(page.getByTestId("route-trace")).toHaveAttribute("data-points", "3");
    await expect(summary).toHaveCount(0);
    await route.getByRole("button", { name: "Record route" }).click();
    await expect(summary.getByTestId("summary-points")).toHaveText("3");
    await expect(summary.getByTestId("summary-features")).toHaveText("2");
    expect(Number(await summary.getByTestId("summary-distance").getAttribute("data-metres"))).toBeGreaterThan(18327);

    await route.getByRole("button", { name: "Undo last point" }).click();
    await expect(page.getByTestId("route-trace")).toHaveAttribute("data-points", "2");
    await route.getByRole("button", { name: "Clear" }).click();
    await expect(page.getByTestId("route-trace")).toHaveCount(0);
    await expect(route.getByRole("button", { name: "Record route" })).toBeDisabled();
  });
}

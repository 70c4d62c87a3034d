import { chooseProtocol, expect, saveScreenshot, test } from "./fixtures.js";

test("the protocol switch applies at once, and the network panel lists every call", async ({ page, server }) => {
  await server.start();
  await page.goto(server.url);
  const calls = page.getByRole("table", { name: "Calls" });
  const rows = (method: string, protocol: string) => calls.getByRole("row").filter({ hasText: method }).filter({ hasText: protocol });

  // Default: Connect JSON. The map's base layer and the chat subscription are already listed.
  await expect(rows("RouteGuide/ListFeatures", "connect-json").first()).toContainText("ok");
  await expect(rows("RouteNotesService/SubscribeNotes", "connect-json").first()).toContainText("pending");

  for (const [label, id] of [["gRPC-Web", "grpc-web"], ["Connect (binary)", "connect-binary"]] as const) {
    await chooseProtocol(page, label);
    // The live subscription moves to the new protocol by itself...
    await expect(rows("RouteNotesService/SubscribeNotes", id).first()).toContainText("pending");
    await expect(page.getByTestId("link-state")).toHaveAttribute("data-state", "live");
    // ...and the next call uses it too.
    await page.getByTestId("route-map").locator("circle.dot").first().click();
    const lookup = rows("RouteGuide/GetFeature", id).first();
    await expect(lookup).toContainText("ok");
    const cells = await lookup.getByRole("cell").allTextContents();
    // Method, protocol, status, sent, received, messages, first message, duration.
    expect(cells[3]).toMatch(/^[1-9]\d* B$/);
    expect(cells[4]).toMatch(/^[1-9]\d* B$/);
    expect(cells[5]).toBe("1");
    expect(cells[6]).toMatch(/ms$/);
    expect(cells[7]).toMatch(/ms$/);
  }
  // The replaced subscriptions were cancelled, not left open.
  await expect(rows("RouteNotesService/SubscribeNotes", "connect-json").first()).toContainText("canceled");

  // JSON and binary carry the same feature in different sizes: binary is smaller.
  await chooseProtocol(page, "Connect (JSON)");
  await page.getByTestId("route-map").locator("circle.dot").first().click();
  const size = async (id: string) => Number((await rows("RouteGuide/GetFeature", id).first().getByRole("cell").nth(4).textContent())!.replace(" B", ""));
  await expect(rows("RouteGuide/GetFeature", "connect-json").first()).toContainText("ok");
  expect(await size("connect-binary")).toBeLessThan(await size("connect-json"));
  await saveScreenshot(page, "network-panel", { fullPage: true });
});

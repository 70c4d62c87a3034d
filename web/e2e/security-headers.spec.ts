import { expect, logIn, test } from "./fixtures.js";

test("runs under its Content-Security-Policy without a violation, and refuses to be framed", async ({ page, server }) => {
  await server.seed(5);
  await server.start();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto(server.url);
  expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  await logIn(page);
  await page.getByRole("button", { name: "Load first page" }).click();
  await expect(page.getByTestId("users-status")).toHaveAttribute("data-count", "5");
  await page.getByRole("button", { name: "user2", exact: true }).click();
  await expect(page.getByRole("region", { name: "User details" })).toContainText("user2");
  expect(violations).toEqual([]);

  // A page elsewhere that frames the app gets Chromium's error page ("blocked", "refused to connect") instead.
  const framing = await page.context().newPage();
  await framing.setContent(`<iframe src="${server.url}" width="400" height="300"></iframe>`);
  const frame = framing.frames()[1]!;
  await expect.poll(() => frame.evaluate(() => document.body?.innerText ?? "").catch(() => "")).toMatch(/blocked|refused to connect/);
  expect(await frame.evaluate(() => document.body?.innerText ?? "").catch(() => "")).not.toContain("gRPC in the browser");
});

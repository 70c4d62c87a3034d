import { expect, logIn, saveScreenshot, test } from "./fixtures.js";

test("every control has a label, and the page works from the keyboard", async ({ page, server }) => {
  await server.seed(20);
  await server.start();
  await page.goto(server.url);

  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((element) => {
        const labelled = (element as HTMLInputElement).labels?.length || element.getAttribute("aria-label") || element.getAttribute("aria-labelledby");
        return !labelled && !(element.textContent ?? "").trim();
      })
      .map((element) => element.outerHTML),
  );
  expect(unlabelled).toEqual([]);
  for (const name of ["Users", "Route guide", "RouteChat", "Network"]) {
    await expect(page.getByRole("heading", { level: 2, name })).toBeVisible();
  }

  // First Tab reaches the skip link; it moves focus past the header.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();

  // Log in with the keyboard alone.
  await page.getByRole("form", { name: "Log in" }).getByLabel("Username").focus();
  await page.keyboard.type("user1");
  await page.keyboard.press("Tab");
  await page.keyboard.type("password123");
  await page.keyboard.press("Enter");
  await expect(page.getByText("Signed in as user1")).toBeVisible();

  await page.getByRole("button", { name: "Load first page" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("users-status")).toHaveAttribute("data-count", "20");
  await page.getByRole("button", { name: "user3", exact: true }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "User details" })).toBeFocused();
  // Another user's email is not sent to user1.
  await expect(page.getByRole("region", { name: "User details" })).toContainText("visible only to this user and admins");
});

test("fits a phone-width screen without sideways scrolling", async ({ newPage, server }) => {
  await server.seed(30);
  await server.start();
  const page = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.goto(server.url);
  await logIn(page);
  await page.getByRole("button", { name: "Load first page" }).click();
  await expect(page.getByTestId("users-status")).toHaveAttribute("data-count", "30");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole("button", { name: "Load all" })).toBeInViewport();
  await saveScreenshot(page, "phone");
});

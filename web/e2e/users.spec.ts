import { chooseProtocol, expect, logIn, saveScreenshot, test } from "./fixtures.js";

const TOTAL = 10_000;

for (const protocol of ["Connect (JSON)", "Connect (binary)", "gRPC-Web"] as const) {
  test(`streams ${TOTAL} users progressively and completely over ${protocol}`, async ({ page, server }) => {
    await server.seed(TOTAL);
    await server.start();
    await page.goto(server.url);
    await chooseProtocol(page, protocol);
    await logIn(page);

    // Record what the page shows at every DOM change while the stream runs.
    await page.evaluate(() => {
      const seen: { state: string; count: number; rows: number }[] = [];
      (window as any).__seen = seen;
      const status = document.querySelector('[data-testid="users-status"]')!;
      new MutationObserver(() =>
        seen.push({
          state: status.getAttribute("data-state") ?? "",
          count: Number(status.getAttribute("data-count")),
          rows: document.querySelectorAll('ul[aria-label="Users"] > li').length,
        }),
      ).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.getByLabel("Page size").selectOption("1000");
    await page.getByRole("button", { name: "Load all" }).click();
    const status = page.getByTestId("users-status");
    await expect(status).toHaveAttribute("data-state", "done", { timeout: 60_000 });
    await expect(status).toHaveAttribute("data-count", String(TOTAL));
    await expect(status).toContainText("10,000 users loaded");

    const seen: { state: string; count: number; rows: number }[] = await page.evaluate(() => (window as any).__seen);
    const whileStreaming = seen.filter((snapshot) => snapshot.state === "streaming" && snapshot.rows > 0 && snapshot.count < TOTAL);
    // Rows were on screen, and the count grew, before the stream had ended.
    expect(whileStreaming.length).toBeGreaterThan(0);
    expect(new Set(whileStreaming.map((snapshot) => snapshot.count)).size).toBeGreaterThan(1);

    // Virtualized: a few dozen rows in the DOM, not 10,000; the last user is reachable by scrolling.
    const rows = page.getByRole("list", { name: "Users" }).getByRole("listitem");
    expect(await rows.count()).toBeLessThan(60);
    await page.locator(".virtual-list").evaluate((list) => (list.scrollTop = list.scrollHeight));
    await expect(page.getByRole("button", { name: "user10000", exact: true })).toBeVisible();
    await expect(rows.last()).toHaveAttribute("aria-setsize", String(TOTAL));

    const network = page.getByRole("table", { name: "Calls" });
    await expect(network.getByRole("row").filter({ hasText: "UserService/ListUsers" }).first()).toContainText(protocol === "gRPC-Web" ? "grpc-web" : protocol === "Connect (JSON)" ? "connect-json" : "connect-binary");
    if (protocol === "Connect (JSON)") await saveScreenshot(page, "users-streamed");
  });
}

test("pages, cancels, resumes without duplicates, and opens a user's details", async ({ page, server }) => {
  await server.seed(10_000);
  await server.start();
  await page.goto(server.url);
  await logIn(page);
  const status = page.getByTestId("users-status");

  await page.getByRole("button", { name: "Load first page" }).click();
  await expect(status).toHaveAttribute("data-count", "100");
  await page.getByRole("button", { name: "Next page" }).click();
  await expect(status).toHaveAttribute("data-count", "200");
  await expect(status).toContainText("2 pages");

  // Hold each ListUsers call a moment, so that Cancel finds the load still running however fast
  // the machine; "Load all" continues in pages of 1,000 after the 200 rows already shown.
  const listUsers = "**/userservice.UserService/ListUsers";
  await page.route(listUsers, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Cancel may have aborted the request meanwhile; then there is nothing to continue.
    await route.continue().catch(() => undefined);
  });
  await page.getByRole("button", { name: "Load all" }).click();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(status).toHaveAttribute("data-state", "canceled");
  await page.unroute(listUsers);
  const afterCancel = Number(await status.getAttribute("data-count"));
  expect(afterCancel).toBeLessThan(10_000);

  // Load all again: it continues after the last row received.
  await page.getByRole("button", { name: "Load all" }).click();
  // Generous: this is the suite's longest wait, and CI machines are sometimes busy.
  await expect(status).toHaveAttribute("data-state", "done", { timeout: 60_000 });
  await expect(status).toHaveAttribute("data-count", "10000");
  await expect(status).toContainText("pages");

  await page.locator(".virtual-list").evaluate((list) => (list.scrollTop = 0));
  // Signed in as user1: its own email is shown, other users' are not sent.
  await expect(page.getByRole("button", { name: /^user1\s+user1@example\.test$/ })).toBeVisible();
  await page.getByRole("button", { name: "user2", exact: true }).click();
  const details = page.getByRole("region", { name: "User details" });
  await expect(details).toContainText("visible only to this user and admins");
  await expect(details).not.toContainText("user2@example.test");
  await expect(details.getByRole("heading", { name: "User details" })).toBeFocused();
  await saveScreenshot(page, "user-details");
});

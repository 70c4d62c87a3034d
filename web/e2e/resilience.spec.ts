import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { RouteNotesService } from "../../gen/routeguide/route_notes_pb.js";
import { expect, logIn, postNote, test } from "./fixtures.js";

test("RouteChat reconnects after a server restart, missing nothing and repeating nothing", async ({ page, server }) => {
  await server.start();
  await page.goto(server.url);
  const link = page.getByTestId("link-state");
  const notes = page.getByRole("log", { name: "Notes" }).locator("[data-note-id]");
  const post = (message: string) => postNote(page, message);
  await expect(link).toHaveAttribute("data-state", "live");
  await post("before the restart");
  await expect(notes).toHaveCount(1);

  await server.stop();
  await expect(link).toHaveAttribute("data-state", "reconnecting");
  await expect(page.getByText(/Cannot reach the server|shutting down/).first()).toBeVisible();
  await server.start();
  // Posted by another client while the page is still waiting to reconnect: it must arrive once.
  const native = createClient(RouteNotesService, createGrpcTransport({ baseUrl: server.url }));
  await native.postNote({ location: { latitude: 407838351, longitude: -746143763 }, message: "while the page was away" });
  await expect(link).toHaveAttribute("data-state", "live", { timeout: 30_000 });

  await post("after the restart");
  await expect(notes).toHaveCount(3);
  await expect(notes.nth(0)).toContainText("before the restart");
  await expect(notes.nth(1)).toContainText("while the page was away");
  await expect(notes.nth(2)).toContainText("after the restart");
  const ids = await notes.evaluateAll((items) => items.map((item) => item.getAttribute("data-note-id")));
  expect(new Set(ids).size).toBe(3);
});

test("shows a clear error with Retry while the server is down, and recovers", async ({ page, server }) => {
  await server.seed(50);
  await server.start();
  await page.goto(server.url);
  await logIn(page);
  await server.stop();

  await page.getByRole("button", { name: "Load first page" }).click();
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("Cannot reach the server");
  await expect(page.getByTestId("users-status")).toHaveAttribute("data-state", "error");

  await server.start();
  await alert.getByRole("button", { name: "Retry" }).click();
  await expect(page.getByTestId("users-status")).toHaveAttribute("data-state", "done");
  await expect(page.getByTestId("users-status")).toHaveAttribute("data-count", "50");
  await expect(page.getByRole("alert")).toHaveCount(0);
});

test("asks for a login where the server requires one; sign up, log out", async ({ page, server }) => {
  await server.start();
  await page.goto(server.url);
  await expect(page.getByText("Listing users needs a login")).toBeVisible();
  await page.getByRole("button", { name: "Load first page" }).click();
  await expect(page.getByRole("alert")).toContainText("Please log in");
  await expect(page.getByRole("alert")).toContainText("unauthenticated");

  await page.getByRole("button", { name: "New here? Sign up" }).click();
  const signup = page.getByRole("form", { name: "Sign up" });
  await signup.getByLabel("Username").fill("newcomer");
  await signup.getByLabel("Email").fill("newcomer@example.test");
  await signup.getByLabel("Password").fill("a-long-password");
  await signup.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByText("Signed in as newcomer")).toBeVisible();

  await page.getByRole("alert").getByRole("button", { name: "Retry" }).click();
  await expect(page.getByTestId("users-status")).toHaveAttribute("data-count", "1");
  await page.reload();
  await expect(page.getByText("Signed in as newcomer")).toBeVisible();

  // Logging out revokes the token on the server: a copy of it stops working too.
  const token: string = await page.evaluate(() => JSON.parse(sessionStorage.getItem("grpc-browser-app.session")!).token);
  const getUser = () =>
    page.request.post(`${server.url}/userservice.UserService/ListUsers`, {
      headers: { "content-type": "application/connect+json", authorization: `Bearer ${token}` },
      data: Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), Buffer.from("{}")]),
    });
  expect((await getUser()).headers()["content-type"]).toBe("application/connect+json");
  expect((await (await getUser()).body()).toString()).toContain("newcomer");
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("form", { name: "Log in" })).toBeVisible();
  expect((await (await getUser()).body()).toString()).toContain("unauthenticated");
  await page.getByRole("button", { name: "Load first page" }).click();
  await expect(page.getByRole("alert")).toContainText("unauthenticated");
});

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Page } from "@playwright/test";
import { expect, postNote as post, saveScreenshot, test } from "./fixtures.js";

/** Where the chat panel opens: a canonical feature (Patriots Path, Mendham, NJ). */
const PLACE = { latitude: 407838351, longitude: -746143763 };

const notes = (page: Page) => page.getByRole("log", { name: "Notes" });

test("two browsers see each other's notes live, without reloading", async ({ newPage, server }) => {
  await server.start();
  const alice = await newPage();
  const bob = await newPage();
  await alice.goto(server.url);
  await bob.goto(server.url);
  await expect(alice.getByTestId("link-state")).toHaveAttribute("data-state", "live");
  await expect(bob.getByTestId("link-state")).toHaveAttribute("data-state", "live");

  await post(alice, "hello from Alice");
  await expect(notes(bob)).toContainText("hello from Alice");
  await post(bob, "hi Alice, Bob here");
  await expect(notes(alice)).toContainText("hi Alice, Bob here");
  await expect(notes(alice).locator("[data-note-id]")).toHaveCount(2);
  await saveScreenshot(alice, "route-chat");
});

test("a browser and a native gRPC client (grpc-js RouteChat) see each other's notes", async ({ page, server }) => {
  await server.start();
  await page.goto(server.url);
  await expect(page.getByTestId("link-state")).toHaveAttribute("data-state", "live");

  const definition = protoLoader.loadSync("routeguide/route_guide.proto", { includeDirs: ["proto"], keepCase: true, longs: String });
  const { routeguide } = grpc.loadPackageDefinition(definition) as any;
  const client = new routeguide.RouteGuide(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  const received: string[] = [];
  const chat = client.routeChat();
  chat.on("data", (note: { message: string }) => received.push(note.message));
  chat.on("error", () => {});
  try {
    chat.write({ location: PLACE, message: "hello from grpc-js" });
    await expect(notes(page)).toContainText("hello from grpc-js");

    await post(page, "hello back from the browser");
    await expect.poll(() => received).toContain("hello back from the browser");
  } finally {
    chat.end();
    client.close();
  }
});

test("a note typed while the last one is being sent is kept", async ({ page, server }) => {
  await server.start();
  // The post is held back, so the next note is typed before the answer comes.
  await page.route("**/routeguide.RouteNotesService/PostNote", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await route.continue();
  });
  await page.goto(server.url);
  await expect(page.getByTestId("link-state")).toHaveAttribute("data-state", "live");
  const textbox = page.getByRole("form", { name: "Post a note" }).getByRole("textbox", { name: "Note", exact: true });
  await post(page, "one");
  await textbox.fill("two, typed meanwhile");
  await expect(notes(page).locator("[data-note-id]")).toHaveCount(1);
  await expect(notes(page)).toContainText("one");
  await page.waitForTimeout(300);
  await expect(textbox).toHaveValue("two, typed meanwhile");
});

test("waits as the server asks when notes come too fast: Post is disabled for the hinted time", async ({ page, server }) => {
  await server.start({ RATE_LIMIT_NOTES: "2/min" });
  await page.goto(server.url);
  await expect(page.getByTestId("link-state")).toHaveAttribute("data-state", "live");
  const textbox = page.getByRole("form", { name: "Post a note" }).getByRole("textbox", { name: "Note", exact: true });
  await post(page, "one");
  await expect(textbox).toHaveValue("");
  await post(page, "two");
  await expect(textbox).toHaveValue("");
  await expect(notes(page).locator("[data-note-id]")).toHaveCount(2);
  await post(page, "three");
  await expect(page.getByRole("alert")).toContainText(/Not posted: .*too many notes from this client; retry in/);
  const button = page.getByRole("form", { name: "Post a note" }).getByRole("button", { name: "Post" });
  await expect(button).toBeDisabled();
  // The draft is kept for when posting is possible again.
  await expect(page.getByRole("textbox", { name: "Note", exact: true })).toHaveValue("three");
});


import { fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import type { Page, Request } from "@playwright/test";
import { CreateUserRequestSchema } from "../../gen/userservice/user_service_pb.js";
import { chooseProtocol, expect, saveScreenshot, test } from "./fixtures.js";

const PROTOCOLS = ["Connect (JSON)", "Connect (binary)", "gRPC-Web"] as const;

/** Requests the page sends to a method, counted from the browser's side. */
function callsTo(page: Page, method: string): Request[] {
  const calls: Request[] = [];
  page.on("request", (request) => {
    if (request.url().endsWith(`/${method}`) && request.method() === "POST") calls.push(request);
  });
  return calls;
}

async function openSignUp(page: Page) {
  await page.getByRole("button", { name: "New here? Sign up" }).click();
  return page.getByRole("form", { name: "Sign up" });
}

test("sign-up checks every field with CreateUser's rules before sending, and says what to fix under each", async ({ page, server }) => {
  await server.start();
  await page.goto(server.url);
  const created = callsTo(page, "userservice.UserService/CreateUser");
  const form = await openSignUp(page);
  await form.getByLabel("Username").fill("1x");
  await form.getByLabel("Email").fill("not-an-email");
  await form.getByLabel("Password").fill("short");
  await form.getByRole("button", { name: "Sign up" }).click();

  await expect(form.getByLabel("Username")).toHaveAccessibleDescription("may only contain letters, digits, '_', '.' and '-', and must start with a letter");
  await expect(form.getByLabel("Username")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Email")).toHaveAccessibleDescription("must be a valid email address");
  await expect(form.getByLabel("Password")).toHaveAccessibleDescription("must be at least 8 characters");
  expect(created).toHaveLength(0);
  await saveScreenshot(page, "sign-up-checks");

  // Editing a field clears its message; fixing them all lets the sign-up through.
  await form.getByLabel("Username").fill("ada_lovelace");
  await expect(form.getByLabel("Username")).not.toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Email")).toHaveAccessibleDescription("must be a valid email address");
  await form.getByLabel("Email").fill("  ada@example.com ");
  await form.getByLabel("Password").fill("analytical engine");
  await form.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByText("Signed in as ada_lovelace")).toBeVisible();
  expect(created).toHaveLength(1);
});

for (const protocol of PROTOCOLS) {
  test(`shows the server's per-field answer under the field, over ${protocol}`, async ({ page, server }) => {
    await server.start();
    await page.goto(server.url);
    await chooseProtocol(page, protocol);
    // Past the page's own check, the request is changed on its way: only the server can object now.
    await page.route("**/userservice.UserService/CreateUser", (route) => route.continue({ postData: withEmail(route.request(), "not-an-email") }));
    const form = await openSignUp(page);
    await form.getByLabel("Username").fill("grace");
    await form.getByLabel("Email").fill("grace@example.com");
    await form.getByLabel("Password").fill("a long password");
    const answer = page.waitForResponse("**/userservice.UserService/CreateUser");
    await form.getByRole("button", { name: "Sign up" }).click();
    await answer;
    await expect(form.getByLabel("Email")).toHaveAccessibleDescription("must be a valid email address");
    await expect(form.getByLabel("Username")).not.toHaveAttribute("aria-invalid", "true");
    await expect(page.getByText("Signed in as grace")).toHaveCount(0);
  });
}

/** The CreateUser request body with another email, in whichever encoding the page sent. */
function withEmail(request: Request, email: string): Buffer {
  const body = request.postDataBuffer() ?? Buffer.alloc(0);
  const contentType = request.headers()["content-type"] ?? "";
  if (contentType.startsWith("application/json")) {
    const message = fromJson(CreateUserRequestSchema, JSON.parse(body.toString()));
    return Buffer.from(JSON.stringify(toJson(CreateUserRequestSchema, { ...message, email })));
  }
  if (contentType.startsWith("application/proto")) {
    return Buffer.from(toBinary(CreateUserRequestSchema, { ...fromBinary(CreateUserRequestSchema, body), email }));
  }
  // gRPC-Web: one enveloped message (flag byte, 4-byte length, then the message).
  const message = fromBinary(CreateUserRequestSchema, body.subarray(5));
  const bytes = toBinary(CreateUserRequestSchema, { ...message, email });
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([prefix, bytes]);
}

test("notes and places are checked with RouteNote's and Point's rules before anything is sent", async ({ page, server }) => {
  await server.start();
  await page.goto(server.url);
  await expect(page.getByTestId("link-state")).toHaveAttribute("data-state", "live");
  const posted = callsTo(page, "routeguide.RouteNotesService/PostNote");
  const noteForm = page.getByRole("form", { name: "Post a note" });
  const note = noteForm.getByLabel("Note");

  await note.fill("   ");
  await noteForm.getByRole("button", { name: "Post" }).click();
  await expect(note).toHaveAccessibleDescription("must not be empty");
  await note.fill("x".repeat(1001));
  await noteForm.getByRole("button", { name: "Post" }).click();
  await expect(note).toHaveAccessibleDescription("must be at most 1000 characters");
  await expect(note).toHaveValue("x".repeat(1001)); // nothing typed is lost
  expect(posted).toHaveLength(0);

  const place = page.getByRole("form", { name: "Location" });
  await place.getByLabel("Latitude").fill("95");
  await place.getByLabel("Longitude").fill("east");
  await place.getByRole("button", { name: "Go" }).click();
  await expect(place.getByLabel("Latitude")).toHaveAccessibleDescription("must be between -90 and 90 degrees (±900000000 in E7)");
  await expect(place.getByLabel("Longitude")).toHaveAccessibleDescription("must be a number of degrees, e.g. 40.78");
  await place.getByLabel("Latitude").fill("40.5");
  await place.getByLabel("Longitude").fill("-74.25");
  await place.getByRole("button", { name: "Go" }).click();
  await expect(page.getByTestId("chat-place")).toContainText("40.5");

  await note.fill("a valid note");
  await noteForm.getByRole("button", { name: "Post" }).click();
  await expect(page.getByRole("log", { name: "Notes" })).toContainText("a valid note");
  expect(posted).toHaveLength(1);
});

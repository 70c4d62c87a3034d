import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Page } from "@playwright/test";
import { chooseProtocol, expect, logIn, type NewPage, PASSWORD, saveScreenshot, test } from "./fixtures.js";

const messages = (page: Page) => page.getByRole("log", { name: "Chat messages" });

async function send(page: Page, text: string) {
  const form = page.getByRole("form", { name: "Send a chat message" });
  await form.getByLabel("Message").fill(text);
  await form.getByRole("button", { name: "Send" }).click();
}

async function signedInPage(newPage: NewPage, url: string, username: string, protocol: "Connect (JSON)" | "gRPC-Web"): Promise<Page> {
  const page = await newPage();
  await page.goto(url);
  await chooseProtocol(page, protocol);
  await logIn(page, username);
  await expect(page.getByTestId("chat-link-state")).toHaveAttribute("data-state", "live");
  return page;
}

for (const protocol of ["Connect (JSON)", "gRPC-Web"] as const) {
  test(`two signed-in browsers chat live, each message with its sender's name, over ${protocol}`, async ({ newPage, server }) => {
    await server.seed(2);
    await server.start();
    const alice = await signedInPage(newPage, server.url, "user1", protocol);
    const bob = await signedInPage(newPage, server.url, "user2", protocol);

    await send(alice, "hello from user1");
    await expect(messages(bob).getByRole("listitem")).toHaveCount(1);
    await expect(messages(bob).getByRole("listitem").first()).toContainText("user1");
    await expect(messages(bob).getByRole("listitem").first()).toContainText("hello from user1");
    await expect(messages(alice).getByRole("listitem").first()).toContainText("user1 (you)");

    await send(bob, "hi user1");
    await expect(messages(alice).getByRole("listitem")).toHaveCount(2);
    await expect(messages(alice).getByRole("listitem").nth(1)).toContainText("user2hi user1");
    // The sender shows once, though it gets its message both from Post and from the stream.
    await expect(messages(bob).getByRole("listitem")).toHaveCount(2);
    if (protocol === "Connect (JSON)") {
      await alice.getByRole("heading", { name: "Chat room" }).scrollIntoViewIfNeeded();
      await saveScreenshot(alice, "chat-room");
    }
  });
}

test("a browser and a native Chat client (grpc-js, bidi) share the room", async ({ page, server }) => {
  await server.seed(2);
  await server.start();
  await page.goto(server.url);
  await logIn(page, "user1");
  await expect(page.getByTestId("chat-link-state")).toHaveAttribute("data-state", "live");

  const definition = protoLoader.loadSync("userservice/user_service.proto", { includeDirs: ["proto"], keepCase: true, longs: String });
  const { userservice } = grpc.loadPackageDefinition(definition) as any;
  const client = new userservice.UserService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  try {
    const login: { token: string; user: { id: string } } = await new Promise((resolve, reject) =>
      client.Login({ username: "user2", password: PASSWORD }, (error: Error | null, response: any) => (error ? reject(error) : resolve(response))),
    );
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${login.token}`);
    const chat = client.Chat(metadata);
    const received: { user_id: string; text: string }[] = [];
    chat.on("data", (message: { user_id: string; text: string }) => received.push(message));
    chat.on("error", () => {});

    // The native client speaks first (its stream is open once its first message is through).
    chat.write({ user_id: "whoever", text: "from grpc-js" });
    await expect(messages(page).getByRole("listitem").first()).toContainText("user2from grpc-js");
    await expect(messages(page).getByRole("listitem").first()).toHaveAttribute("data-sender", login.user.id);

    await send(page, "from the browser");
    await expect.poll(() => received.map((message) => message.text)).toContain("from the browser");
    const fromBrowser = received.find((message) => message.text === "from the browser")!;
    const user1 = await page.evaluate(() => JSON.parse(sessionStorage.getItem("grpc-browser-app.session")!).userId as string);
    expect(fromBrowser.user_id).toBe(user1);
    chat.end();
  } finally {
    client.close();
  }
});

test("asks for a login, and reconnects by itself after a server restart", async ({ page, server }) => {
  await server.seed(1);
  await server.start();
  await page.goto(server.url);
  await expect(page.getByTestId("chat-login-needed")).toBeVisible();
  await logIn(page, "user1");
  const link = page.getByTestId("chat-link-state");
  await expect(link).toHaveAttribute("data-state", "live");

  await server.stop();
  await expect(link).toHaveAttribute("data-state", "reconnecting");
  await server.start();
  await expect(link).toHaveAttribute("data-state", "live", { timeout: 30_000 });
  // Posted from outside the page, so it can only arrive through the re-opened stream.
  const token: string = await page.evaluate(() => JSON.parse(sessionStorage.getItem("grpc-browser-app.session")!).token);
  const posted = await page.request.post(`${server.url}/userservice.ChatRoomService/Post`, {
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    data: { text: "after the restart" },
  });
  expect(posted.status()).toBe(200);
  await expect(messages(page).getByRole("listitem").first()).toContainText("after the restart");
  await expect(messages(page).getByRole("listitem")).toHaveCount(1);
});

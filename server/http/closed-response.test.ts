import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatRoomService } from "../../gen/userservice/chat_room_pb.js";
import { bearer, eventually, startTestServer, TEST_TOKEN, type TestServer } from "../test-support/test-server.js";


/** Streams still open according to the server's own metric (observeCalls counts them down when they end). */
async function openStreams(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return [...text.matchAll(/^rpc_open_streams\{[^}]*\} (\S+)$/gm)].reduce((total, match) => total + Number(match[1]), 0);
}

// connect-node's path needs withWritesReleasedOnClose; the lean path's push delivery waits for "close" itself.
describe.each([
  ["connect-node's path", false],
  ["the lean path", true],
])("HTTP/1.1 streams on %s whose client goes away while a write waits", (_path, webLeanPath) => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer({ webLeanPath })));
  afterAll(() => server.close());

  it("end, and release their subscriptions (once, the soak found 31 Chat subscriptions left)", async () => {
    // Chat kept busy by 8 posters, and 12 clients that hang up at random moments: some hang up
    // while a write waits for "drain".
    const end = Date.now() + 20_000;
    const interceptors = [bearer(TEST_TOKEN)];
    let address = 10;
    const transport = () =>
      createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors, nodeOptions: { localAddress: `127.0.0.${address++ % 200 + 10}` } });
    const posters = Array.from({ length: 8 }, async () => {
      const chat = createClient(ChatRoomService, transport());
      while (Date.now() < end) {
        await chat.post({ text: `busy ${Date.now()}` });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    const listeners = Array.from({ length: 12 }, async () => {
      while (Date.now() < end) {
        const chat = createClient(ChatRoomService, transport());
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 300 + Math.random() * 1_500);
        try {
          for await (const _ of chat.subscribe({}, { signal: controller.signal }));
        } catch {
          // Cancelled by this test.
        }
        clearTimeout(timer);
      }
    });
    await Promise.all([...posters, ...listeners]);
    await eventually(() => server.app.chatHub.subscriberCount() === 0, 5_000, "chat subscribers back to zero");
    const deadline = Date.now() + 5_000;
    while ((await openStreams(server)) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await openStreams(server)).toBe(0);
  }, 45_000);
});

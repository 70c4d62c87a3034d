import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type EndableResponse, endInBatch, isEndWaiting, MAX_BATCHED_ENDS } from "./http1-end-batch.js";

/** A response that records its end in `log`. */
function fakeResponse(name: string, log: string[], options: { failing?: boolean } = {}) {
  const response = {
    writableEnded: false,
    destroyed: false,
    destroyedWith: undefined as Error | undefined,
    end(chunk?: Uint8Array) {
      if (options.failing) throw new Error(`${name} cannot end`);
      response.writableEnded = true;
      log.push(`${name}:${chunk === undefined ? "" : Buffer.from(chunk).toString()}`);
    },
    destroy(error?: Error) {
      response.destroyed = true;
      response.destroyedWith = error;
    },
  };
  return response satisfies EndableResponse;
}

const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("endInBatch", () => {
  // Each case starts in a turn of its own: the one before may have left its turn open.
  beforeEach(endOfTurn);

  it("ends the turn's first response at once, its later ones at the turn's end, in the order asked, each with its chunk", async () => {
    const log: string[] = [];
    const [a, b, c] = ["a", "b", "c"].map((name) => fakeResponse(name, log)) as [ReturnType<typeof fakeResponse>, ReturnType<typeof fakeResponse>, ReturnType<typeof fakeResponse>];
    endInBatch(a, Buffer.from("one"));
    expect(log).toEqual(["a:one"]);
    endInBatch(b);
    await Promise.resolve(); // microtasks are still this turn
    endInBatch(c, Buffer.from("three"));
    expect(log).toEqual(["a:one"]);
    expect([a, b, c].map(isEndWaiting)).toEqual([false, true, true]);
    await endOfTurn();
    expect(log).toEqual(["a:one", "b:", "c:three"]);
    expect([a, b, c].map(isEndWaiting)).toEqual([false, false, false]);
    // A new turn: its first end is written at once again.
    endInBatch(fakeResponse("d", log));
    expect(log.at(-1)).toBe("d:");
  });

  it(`writes at once when a turn has ${MAX_BATCHED_ENDS} ends waiting`, async () => {
    const log: string[] = [];
    endInBatch(fakeResponse("first", log));
    const responses = Array.from({ length: MAX_BATCHED_ENDS + 1 }, (_, index) => fakeResponse(String(index), log));
    for (const response of responses.slice(0, -1)) endInBatch(response);
    expect(log).toHaveLength(1 + MAX_BATCHED_ENDS);
    endInBatch(responses.at(-1)!);
    expect(log).toHaveLength(1 + MAX_BATCHED_ENDS);
    await endOfTurn();
    expect(log).toHaveLength(2 + MAX_BATCHED_ENDS);
  });

  it("skips a response whose client has gone, and a fault in one end does not keep the others from theirs", async () => {
    const log: string[] = [];
    const gone = fakeResponse("gone", log);
    const failing = fakeResponse("failing", log, { failing: true });
    const fine = fakeResponse("fine", log);
    endInBatch(fakeResponse("first", log));
    endInBatch(gone);
    endInBatch(failing);
    endInBatch(fine);
    gone.destroyed = true;
    await endOfTurn();
    expect(log).toEqual(["first:", "fine:"]);
    expect(failing.destroyedWith?.message).toBe("failing cannot end");
  });
});

describe("endInBatch over a real port", () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))));

  it("answers pipelined requests on one connection in their order, and keeps the connection for the next", async () => {
    server = http.createServer((request, response) => {
      response.writeHead(200, { "content-type": "text/plain", "content-length": String(request.url!.length) });
      // The second request's answer is asked for first: Node holds it until the first has ended.
      if (request.url === "/first") setTimeout(() => endInBatch(response, Buffer.from(request.url!)), 20);
      else endInBatch(response, Buffer.from(request.url!));
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    const bodies = () => received.split("\r\n\r\n").slice(1).map((part) => part.split("HTTP/1.1")[0]);
    socket.write("GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n");
    await expect.poll(() => bodies().length, { timeout: 5_000 }).toBe(2);
    expect(bodies()).toEqual(["/first", "/second"]);
    socket.write("GET /third HTTP/1.1\r\nHost: x\r\n\r\n");
    await expect.poll(() => bodies().length, { timeout: 5_000 }).toBe(3);
    expect(bodies()[2]).toBe("/third");
    socket.destroy();
  });
});

import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { flushFrames, writeFrame } from "./frame-batch.js";
import { http1ChunkWriter, writeChunkToSocket } from "./http1-chunks.js";

let server: http.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))));

/** A server whose one response is handed to `serve`, and a client that reads its body once `reading` resolves. */
async function exchange(serve: (response: http.ServerResponse) => Promise<void>, reading: Promise<void>): Promise<Buffer> {
  server = http.createServer((_request, response) => void serve(response));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    http.get({ port, host: "127.0.0.1", agent: false }, (response) => {
      response.pause();
      const chunks: Buffer[] = [];
      void reading.then(() => {
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.resume();
      });
      response.on("end", () => resolve(Buffer.concat(chunks)));
      response.on("error", reject);
    });
  });
}

describe("writeChunkToSocket", () => {
  it("writes frames as the response's own chunks, and passes the socket's drain on to the response when the client is slow", async () => {
    const frame = (index: number) => Buffer.alloc(64 * 1024, index % 251);
    let startReading!: () => void;
    const reading = new Promise<void>((resolve) => (startReading = resolve));
    let written = 0;
    let refusedBeforeHead: boolean | undefined;
    const body = await exchange(async (response) => {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      refusedBeforeHead = writeChunkToSocket(response, frame(0)) === undefined;
      response.write("head"); // through the response: the head goes out with it
      // Until the socket is full: the client is not reading.
      for (;;) {
        const accepted = writeChunkToSocket(response, frame(written++));
        expect(accepted).not.toBeUndefined();
        if (accepted === false || written > 2_000) break;
      }
      const drained = new Promise<void>((resolve) => response.once("drain", resolve));
      startReading();
      await drained;
      writeChunkToSocket(response, frame(written++));
      response.end();
    }, reading);
    expect(refusedBeforeHead).toBe(true);
    expect(written).toBeLessThan(2_000);
    const expected = Buffer.concat([Buffer.from("head"), ...Array.from({ length: written }, (_, index) => frame(index))]);
    expect(body.equals(expected)).toBe(true);
  });

  it("leaves the frame to the response while frames it queued are pending, so that none is overtaken", async () => {
    let answer: boolean | undefined = true;
    const body = await exchange(async (response) => {
      response.writeHead(200);
      response.write("head");
      writeFrame(response, Buffer.from("queued"));
      answer = writeChunkToSocket(response, Buffer.from("later"));
      flushFrames(response);
      response.end();
    }, Promise.resolve());
    expect(answer).toBeUndefined();
    expect(body.toString()).toBe("headqueued");
  });

  it("writes several frames (the events a deferred fan-out joined) as one chunk, and the writer falls back to the response before the head is out", async () => {
    const written: Buffer[] = [];
    let sizes: string[] = [];
    const body = await exchange(async (response) => {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      const socket = response.socket!;
      const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
      socket.write = ((chunk: Buffer) => (written.push(Buffer.from(chunk)), write(chunk))) as typeof socket.write;
      // Head not out: through the response (which writes the head with it).
      expect(http1ChunkWriter.write(response, [Buffer.from("ab"), Buffer.from("c")])).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      const before = written.length;
      expect(http1ChunkWriter.write(response, [Buffer.from("de"), Buffer.from("fgh")])).toBe(true);
      expect(http1ChunkWriter.write(response, Buffer.from("i"))).toBe(true);
      sizes = written.slice(before).map((chunk) => chunk.toString("latin1"));
      expect(http1ChunkWriter.full(response)).toBe(false);
      response.end();
    }, Promise.resolve());
    expect(sizes).toEqual(["5\r\ndefgh\r\n", "1\r\ni\r\n"]);
    expect(body.toString()).toBe("abcdefghi");
  });
});

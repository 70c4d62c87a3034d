import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnePort, type OnePortServer } from "./one-port-server.js";

let server: OnePortServer;
beforeAll(async () => {
  server = await listenOnePort({
    port: 0,
    firstBytesTimeoutMs: 300,
    handler: (request, response) => {
      response.setHeader("content-type", "text/plain");
      response.end(`HTTP/${request.httpVersion} ${request.method} ${request.url}`);
    },
  });
});
afterAll(() => server.close(500));

function http1Get(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(`${server.url}${path}`, (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk)).on("end", () => resolve(body));
    }).on("error", reject);
  });
}

function h2cGet(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(server.url);
    session.on("error", reject);
    const stream = session.request({ ":path": path });
    let body = "";
    stream.on("data", (chunk) => (body += chunk)).on("end", () => (session.close(), resolve(body)));
  });
}

/** Writes raw bytes in the given pieces, with a pause between, and returns what comes back. */
function rawExchange(pieces: (string | Buffer)[], readUntil: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (readUntil.test(received)) (socket.destroy(), resolve(received));
    });
    socket.on("error", reject);
    socket.on("connect", async () => {
      for (const piece of pieces) {
        socket.write(piece);
        await new Promise((r) => setTimeout(r, 30));
      }
    });
  });
}

describe("one plaintext port", () => {
  it("answers HTTP/1.1 and h2c side by side", async () => {
    expect(await http1Get("/a")).toBe("HTTP/1.1 GET /a");
    expect(await h2cGet("/b")).toBe("HTTP/2.0 GET /b");
  });

  it("recognises an HTTP/2 preface that arrives in pieces", async () => {
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]); // empty SETTINGS frame
    const reply = await rawExchange(["PRI * HT", "TP/2.0\r\n\r\nS", "M\r\n\r\n", settings], /\x04/);
    // The server's own SETTINGS frame (type 4) comes back: the connection went to HTTP/2.
    expect(reply.length).toBeGreaterThanOrEqual(9);
    expect(reply.charCodeAt(3)).toBe(4);
  });

  it("recognises HTTP/1.1 whose first byte happens to match the preface", async () => {
    const reply = await rawExchange(["P", "UT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"], /PUT \/x/);
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
  });

  it("survives clients that reset, send garbage, or say nothing", async () => {
    const reset = net.connect(server.port, "127.0.0.1");
    await new Promise((r) => reset.on("connect", r));
    reset.resetAndDestroy();
    const garbage = await rawExchange([Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a])], /HTTP\/1\.1 400/);
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    const silent = net.connect(server.port, "127.0.0.1");
    const closed = new Promise((r) => silent.on("close", r));
    await closed; // dropped after firstBytesTimeoutMs
    expect(await http1Get("/still-up")).toBe("HTTP/1.1 GET /still-up");
  });
});

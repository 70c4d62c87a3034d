import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createStreamTable, createWaitingStreams, untangleSessionStreams } from "./session-stream-tables.js";
import { listenOnePort, type OnePortServer } from "./one-port-server.js";

/** A small deterministic sequence of numbers (no Math.random: a failure must repeat). */
function sequence(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648);
}

describe("the stream table", () => {
  it("answers as a Map does over a long mix of operations", () => {
    const next = sequence(7);
    const table = createStreamTable();
    const model = new Map<number, object>();
    const streams = Array.from({ length: 40 }, (_, index) => ({ index }));
    for (let step = 0; step < 5_000; step++) {
      const id = 2 * (next() % 40) + 1;
      const stream = streams[next() % 40] as object;
      switch (next() % 4) {
        case 0:
          expect(table.set(id, stream)).toBe(table);
          model.set(id, stream);
          break;
        case 1:
          expect(table.delete(id)).toBe(model.delete(id));
          break;
        default:
          expect(table.get(id)).toBe(model.get(id));
          expect(table.has(id)).toBe(model.has(id));
      }
      expect(table.size).toBe(model.size);
    }
    const sorted = [...model].sort(([a], [b]) => a - b);
    expect([...table]).toEqual(sorted);
    expect([...table.keys()]).toEqual(sorted.map(([id]) => id));
    expect([...table.values()]).toEqual(sorted.map(([, stream]) => stream));
  });

  it("skips in forEach what a callback deletes before it is reached, as Node's session destroy relies on", () => {
    const table = createStreamTable();
    const [one, three, five] = [{ id: 1 }, { id: 3 }, { id: 5 }];
    table.set(1, one).set(3, three).set(5, five);
    const seen: number[] = [];
    table.forEach((_stream, id) => {
      seen.push(id);
      table.delete(id); // a stream's destroy removes it
      if (id === 1) table.delete(5); // and may close another
    });
    expect(seen).toEqual([1, 3]);
    expect(table.size).toBe(0);
  });

  it("starts with what the Map it replaces held", () => {
    const stream = { id: 1 };
    expect([...createStreamTable(new Map([[1, stream]]))]).toEqual([[1, stream]]);
  });
});

describe("the waiting streams", () => {
  it("answers as a Set does, in insertion order", () => {
    const next = sequence(11);
    const waiting = createWaitingStreams();
    const model = new Set<object>();
    const streams = Array.from({ length: 6 }, (_, index) => ({ index }));
    for (let step = 0; step < 2_000; step++) {
      const stream = streams[next() % 6] as object;
      if (next() % 2 === 0) {
        expect(waiting.add(stream)).toBe(waiting);
        model.add(stream);
      } else {
        expect(waiting.delete(stream)).toBe(model.delete(stream));
      }
      expect(waiting.has(stream)).toBe(model.has(stream));
      expect(waiting.size).toBe(model.size);
      expect([...waiting]).toEqual([...model]);
    }
    const visited: object[] = [];
    waiting.forEach((stream) => {
      visited.push(stream);
      waiting.clear();
    });
    expect(visited).toEqual([...model].slice(0, 1));
  });
});

describe("untangling a real session's streams", () => {
  let server: OnePortServer | http2.Http2Server | undefined;
  afterEach(async () => {
    if (server && "port" in server) await server.close(100);
    else if (server) await new Promise((resolve) => (server as http2.Http2Server).close(resolve));
    server = undefined;
  });

  it("takes Node's session tables on the Node this project runs, and every HTTP/2 session of the one-port server has them", async () => {
    const sessions: http2.ServerHttp2Session[] = [];
    const onePort = await listenOnePort({
      port: 0,
      handler: (_request, response) => response.end("compat"),
      claimStream: (stream) => {
        sessions.push(stream.session as http2.ServerHttp2Session);
        stream.respond({ ":status": 200 });
        stream.end("claimed");
        return true;
      },
    });
    server = onePort;
    const client = http2.connect(onePort.url);
    await Promise.all(Array.from({ length: 20 }, () => request(client, "/x")));
    client.close();
    expect(sessions.length).toBe(20);
    // Already untangled by the server: there is no Map or Set left to take.
    expect(untangleSessionStreams(sessions[0] as http2.ServerHttp2Session)).toBe(false);
    expect(untangleSessionStreams({} as http2.ServerHttp2Session)).toBe(false);
  });

  it("lets a one-port session closed gracefully finish its open stream (the session counts it in the table)", async () => {
    let held: http2.ServerHttp2Stream | undefined;
    const onePort = await listenOnePort({
      port: 0,
      handler: (_request, response) => response.end(),
      claimStream: (stream) => ((held = stream), true),
    });
    server = onePort;
    const socket = net.connect(onePort.port, "127.0.0.1");
    let received = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    // The preface, empty SETTINGS and a request on stream 1, in one write, as h2load sends them:
    // the one-port server reads the first bytes itself before it hands the connection to Node.
    socket.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0x5, 1, literalHeaders({ ":method": "GET", ":scheme": "http", ":path": "/hold", ":authority": "test" }))]));
    await until(() => held !== undefined);
    const stream = held as http2.ServerHttp2Stream;
    // A graceful close waits for the open stream, which it finds in the session's table.
    stream.session?.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stream.destroyed).toBe(false);
    stream.respond({ ":status": 200 });
    stream.end("answered after close");
    await until(() => received.includes("answered after close"));
    socket.destroy();
  });

  it("keeps Node's session working: many streams, a reset, a session destroyed with streams open, and a graceful close", async () => {
    const plain = http2.createServer();
    server = plain;
    let untangled = 0;
    plain.on("session", (session) => void (untangleSessionStreams(session) && untangled++));
    const serverStreams: http2.ServerHttp2Stream[] = [];
    plain.on("stream", (stream, headers) => {
      serverStreams.push(stream);
      stream.on("error", () => {});
      if (headers[":path"] === "/hold") return; // answered later, or never
      stream.respond({ ":status": 200 });
      stream.end(headers[":path"]);
    });
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;

    // Many streams, several at once, on one session.
    const client = http2.connect(url);
    const bodies = await Promise.all(Array.from({ length: 200 }, (_, index) => request(client, `/s${index}`)));
    expect(bodies).toEqual(Array.from({ length: 200 }, (_, index) => `/s${index}`));

    // A stream the client resets: the server's stream closes and leaves the table.
    const reset = client.request({ ":path": "/hold" });
    reset.on("error", () => {});
    await until(() => serverStreams.some((stream) => !stream.closed && stream.id === reset.id));
    const held = serverStreams.find((stream) => stream.id === reset.id) as http2.ServerHttp2Stream;
    const heldClosed = new Promise((resolve) => held.once("close", resolve));
    reset.close(http2.constants.NGHTTP2_CANCEL);
    await heldClosed;
    expect(await request(client, "/after-reset")).toBe("/after-reset");

    // The server closes the session gracefully with a stream open: it waits for the stream.
    const open = client.request({ ":path": "/hold" });
    const openBody = readBody(open);
    await until(() => serverStreams.some((stream) => stream.id === open.id && !stream.closed));
    const pending = serverStreams.find((stream) => stream.id === open.id) as http2.ServerHttp2Stream;
    const sessionClosed = new Promise((resolve) => pending.session?.once("close", resolve));
    pending.session?.close();
    pending.respond({ ":status": 200 });
    pending.end("finished after close");
    expect(await openBody).toBe("finished after close");
    await sessionClosed;

    // A session destroyed with streams still open closes them all.
    const second = http2.connect(url);
    const abandoned = Array.from({ length: 5 }, () => second.request({ ":path": "/hold" }));
    for (const stream of abandoned) stream.on("error", () => {});
    await until(() => serverStreams.filter((stream) => !stream.closed).length === 5);
    const open5 = serverStreams.filter((stream) => !stream.closed);
    const allClosed = Promise.all(open5.map((stream) => new Promise((resolve) => stream.once("close", resolve))));
    open5[0]?.session?.destroy();
    await allClosed;
    second.destroy();
    client.close();
    expect(untangled).toBe(2);
  });
});

/** An HTTP/2 frame: length, type, flags, stream id, payload. */
function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK header block of literal fields without indexing (no Huffman coding). */
function literalHeaders(headers: Record<string, string>): Buffer {
  const parts = Object.entries(headers).flatMap(([name, value]) => [Buffer.from([0, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
  return Buffer.concat(parts);
}

function request(client: http2.ClientHttp2Session, path: string): Promise<string> {
  return readBody(client.request({ ":path": path }));
}

function readBody(stream: http2.ClientHttp2Stream): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (body += chunk));
    stream.on("end", () => resolve(body));
    stream.on("error", reject);
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5_000) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

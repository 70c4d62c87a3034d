import http2 from "node:http2";
import net from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import type { Point } from "../../gen/routeguide/route_guide_pb.js";
import { SubscribeNotesRequestSchema } from "../../gen/routeguide/route_notes_pb.js";
import { createFrameReader, grpcFrame } from "./grpc-frames.js";

/**
 * The parts of a StoredNote the load generator reads (the note's message), found by walking the
 * protobuf fields by hand: decoding 1,000 whole messages per note on the load core would delay
 * the last subscribers' figures by the generator's own work, not the server's.
 */
function readNote(bytes: Buffer): { note?: { message: string } } {
  const field = (buffer: Buffer, wanted: number): Buffer | undefined => {
    for (let offset = 0; offset < buffer.length; ) {
      const tag = buffer[offset++] as number;
      if ((tag & 7) === 0) {
        while ((buffer[offset++] as number) & 0x80);
        continue;
      }
      let length = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = buffer[offset++] as number;
        length |= (byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) break;
      }
      if (tag >> 3 === wanted) return buffer.subarray(offset, offset + length);
      offset += length;
    }
    return undefined;
  };
  const note = field(bytes, 2);
  const message = note === undefined ? undefined : field(note, 2);
  return message === undefined ? {} : { note: { message: message.toString("latin1") } };
}

export interface Subscriptions {
  /** Resolves once every stream has received its first message (the heartbeat). */
  opened: Promise<void>;
  close(): void;
}

/** How the subscribers connect: gRPC over h2c (streams shared by sessions), or Connect over HTTP/1.1 (one connection each, as browsers). */
export type SubscriptionProtocol = "grpc" | "connect-http1";

/**
 * Opens `count` SubscribeNotes streams with heartbeats over raw HTTP/2 (a light client, so the
 * load generator measures the server, not itself), spread over sessions of at most
 * `streamsPerSession` streams.
 */
export function openSubscriptions(
  port: number,
  count: number,
  location: Point,
  onNote: (note: { note?: { message: string } }) => void = () => {},
  streamsPerSession = 1000,
  protocol: SubscriptionProtocol = "grpc",
): Subscriptions {
  if (protocol === "connect-http1") return openConnectSubscriptions(port, count, location, onNote);
  const sessions: http2.ClientHttp2Session[] = [];
  const request = subscribeRequest(location);
  const { opened, streamOpened, fail: rejectOpened } = openingLatch(count);
  for (let index = 0; index < count; index++) {
    if (index % streamsPerSession === 0) {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", (error) => rejectOpened(error));
      sessions.push(session);
    }
    const stream = sessions.at(-1)!.request({ ":method": "POST", ":path": "/routeguide.RouteNotesService/SubscribeNotes", "content-type": "application/grpc", te: "trailers" });
    let first = true;
    stream.on(
      "data",
      createFrameReader((message) => {
        if (first) streamOpened();
        first = false;
        if (message.length > 2) onNote(readNote(message));
      }),
    );
    stream.on("error", () => {});
    stream.end(request);
  }
  return {
    opened,
    close: () => sessions.forEach((session) => session.destroy()),
  };
}

/**
 * The same over Connect and HTTP/1.1, on raw sockets: one keep-alive connection per stream, as
 * browsers hold them; the chunked body is taken apart by hand (a light client: an HTTP client
 * object per stream would make the load generator, not the server, the bottleneck).
 */
function openConnectSubscriptions(port: number, count: number, location: Point, onNote: (note: { note?: { message: string } }) => void): Subscriptions {
  const body = subscribeRequest(location);
  const head = `POST /routeguide.RouteNotesService/SubscribeNotes HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/connect+proto\r\nContent-Length: ${body.length}\r\n\r\n`;
  const request = Buffer.concat([Buffer.from(head, "latin1"), body]);
  const sockets: net.Socket[] = [];
  const { opened, streamOpened, fail: rejectOpened } = openingLatch(count);
  for (let index = 0; index < count; index++) {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
    socket.setNoDelay(true);
    sockets.push(socket);
    let first = true;
    const frames = createFrameReader((message) => {
      if (first) streamOpened();
      first = false;
      if (message.length > 2) onNote(readNote(message));
    });
    socket.on("data", createDechunker(frames));
    socket.on("error", (error) => rejectOpened(error));
  }
  return { opened, close: () => sockets.forEach((socket) => socket.destroy()) };
}

/** The subscription every stream opens: a location, with heartbeats (the first says the stream is open). */
function subscribeRequest(location: Point): Buffer {
  return grpcFrame(toBinary(SubscribeNotesRequestSchema, create(SubscribeNotesRequestSchema, { scope: { case: "location", value: location }, heartbeats: true })));
}

/** Resolves `opened` once `count` streams have said they are open; rejects on the first connection error. */
function openingLatch(count: number) {
  let waiting = count;
  let resolve!: () => void;
  let fail!: (error: Error) => void;
  const opened = new Promise<void>((onOpen, onError) => ((resolve = onOpen), (fail = onError)));
  if (count === 0) resolve();
  return { opened, fail, streamOpened: () => void (--waiting === 0 && resolve()) };
}

/** Skips the response head, then passes on the payload of each HTTP/1.1 chunk as it arrives. */
function createDechunker(onPayload: (bytes: Buffer) => void): (data: Buffer) => void {
  let inHead = true;
  let pending: Buffer = Buffer.alloc(0);
  let left = 0; // bytes of the current chunk still to come
  return (data) => {
    pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
    for (;;) {
      if (inHead) {
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) return;
        pending = pending.subarray(end + 4);
        inHead = false;
      }
      if (left > 0) {
        const take = Math.min(left, pending.length);
        if (take === 0) return;
        onPayload(pending.subarray(0, take));
        pending = pending.subarray(take);
        left -= take;
        if (left > 0) return;
        continue;
      }
      // A chunk's size line, after the previous chunk's CRLF.
      const lineEnd = pending.indexOf("\r\n", pending[0] === 0x0d ? 2 : 0);
      if (lineEnd < 0) return;
      const line = pending.subarray(pending[0] === 0x0d ? 2 : 0, lineEnd).toString("latin1");
      left = Number.parseInt(line, 16);
      pending = pending.subarray(lineEnd + 2);
      if (left === 0) return;
    }
  };
}

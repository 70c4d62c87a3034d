// The fan-out ceiling on this machine: the same wire as the project for SubscribeNotes (gRPC over
// h2c, Connect over HTTP/1.1) and RouteChat, with nothing between a posted note and the sockets:
// no storage, hub, interceptors, location filter or per-subscriber code. Each note is framed
// once and written to every subscriber in one loop: an HTTP/1.1 subscriber's chunk straight to
// its socket (as server/http/http1-chunks.ts does), an h2c subscriber's frame to its stream.
// It logs the same "delivered" debug line as the project (server/observability/time-deliveries.ts),
// so the bench reports its own fan-out time as well. Prints "listening on PORT".
import http from "node:http";
import http2 from "node:http2";
import net, { type Socket } from "node:net";
import { createFrameReader, grpcFrame } from "../lib/grpc-frames.js";

const SUBSCRIBE = "/routeguide.RouteNotesService/SubscribeNotes";
const ROUTE_CHAT = "/routeguide.RouteGuide/RouteChat";
/** The first message of every subscription (an empty StoredNote): the client counts the stream as open. */
const HEARTBEAT = grpcFrame(new Uint8Array(0));

const http1Subscribers = new Set<Socket>();
const http2Subscribers = new Set<http2.ServerHttp2Stream>();

/** A StoredNote carrying the posted RouteNote (field 2; no id or time), as one message frame. */
function storedNoteFrame(routeNote: Buffer): Buffer {
  const length: number[] = [];
  for (let rest = routeNote.length; ; rest >>>= 7) {
    if (rest < 0x80) {
      length.push(rest);
      break;
    }
    length.push((rest & 0x7f) | 0x80);
  }
  return grpcFrame(Buffer.concat([Buffer.from([0x12, ...length]), routeNote]));
}

function deliver(routeNote: Buffer): void {
  const started = performance.now();
  const frame = storedNoteFrame(routeNote);
  const chunk = Buffer.concat([Buffer.from(`${frame.length.toString(16)}\r\n`, "latin1"), frame, Buffer.from("\r\n", "latin1")]);
  for (const socket of http1Subscribers) socket.write(chunk);
  for (const stream of http2Subscribers) stream.write(frame);
  const ms = Math.round((performance.now() - started) * 10) / 10;
  console.log(JSON.stringify({ time: new Date().toISOString(), level: "debug", msg: "delivered", hub: "notes", subscribers: http1Subscribers.size + http2Subscribers.size, ms }));
}

const http1Server = http.createServer((request, response) => {
  if (request.url !== SUBSCRIBE) {
    response.writeHead(404).end();
    return;
  }
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/connect+proto" });
    response.write(HEARTBEAT);
    const socket = response.socket as Socket;
    http1Subscribers.add(socket);
    socket.on("close", () => http1Subscribers.delete(socket));
  });
});

const http2Server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
http2Server.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  if (headers[":path"] === SUBSCRIBE) {
    stream.on("data", () => {});
    stream.respond({ ":status": 200, "content-type": "application/grpc" });
    stream.write(HEARTBEAT);
    http2Subscribers.add(stream);
    stream.on("close", () => http2Subscribers.delete(stream));
    return;
  }
  if (headers[":path"] === ROUTE_CHAT) {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.on("data", createFrameReader(deliver));
    stream.on("end", () => stream.end());
    return;
  }
  stream.respond({ ":status": 404 }, { endStream: true });
});

// One port for both, as the project serves them: an h2c connection opens with "PRI * HTTP/2.0".
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.once("data", (first) => {
    socket.pause();
    socket.unshift(first);
    (first.toString("latin1", 0, 3) === "PRI" ? http2Server : http1Server).emit("connection", socket);
    // Resuming synchronously would feed the bytes before the new owner is listening.
    process.nextTick(() => socket.resume());
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on ${(server.address() as { port: number }).port}`);
});
process.on("SIGTERM", () => {
  for (const socket of http1Subscribers) socket.destroy();
  for (const stream of http2Subscribers) stream.session?.destroy();
  server.close(() => process.exit(0));
});

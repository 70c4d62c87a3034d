import * as http2 from "node:http2";
import * as net from "node:net";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { UserService } from "../../gen/userservice/user_service_pb.js";
import { type ServerProcess } from "../test-support/server-process.js";

/** What the server says about itself on /metrics (Node's default process metrics). */
export interface ServerVitals {
  rssBytes: number;
  heapUsedBytes: number;
  openFds: number;
  cpuSeconds: number;
}

export async function vitals(server: ServerProcess): Promise<ServerVitals> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  return {
    rssBytes: read("process_resident_memory_bytes"),
    heapUsedBytes: read("nodejs_heap_size_used_bytes"),
    openFds: read("process_open_fds"),
    cpuSeconds: read("process_cpu_seconds_total"),
  };
}

/**
 * A legitimate client calling GetFeature every `intervalMs` over gRPC (HTTP/2) and Connect
 * (HTTP/1.1) in turn until stopped; reports every latency and every failure.
 */
export function legitimateClient(url: string, intervalMs = 50) {
  const clients = [
    createClient(RouteGuide, createGrpcTransport({ baseUrl: url })),
    createClient(RouteGuide, createConnectTransport({ baseUrl: url, httpVersion: "1.1" })),
  ];
  const latencies: number[] = [];
  const failures: string[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const started = performance.now();
      try {
        await clients[i % 2]!.getFeature({ latitude: 409146138, longitude: -746188906 }, { timeoutMs: 10_000 });
        latencies.push(performance.now() - started);
      } catch (error) {
        failures.push(ConnectError.from(error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        calls: latencies.length,
        failures,
        p50: sorted[Math.floor(sorted.length * 0.5)] ?? NaN,
        p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN,
        max: sorted.at(-1) ?? NaN,
      };
    },
  };
}

/** A UserService client whose connections come from `localAddress` (127.0.0.x: loopback, another client address). */
export function usersFrom(url: string, localAddress: string) {
  return createClient(UserService, createConnectTransport({ baseUrl: url, httpVersion: "1.1", nodeOptions: { localAddress } }));
}

/** Resolves with how long the server took to close the socket, or rejects after `limitMs`. */
export function closedWithin(socket: net.Socket | http2.ClientHttp2Session, limitMs: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs);
    socket.once("close", () => (clearTimeout(timer), resolve(performance.now() - started)));
  });
}

/** A socket that sends a request head one byte at a time, every `everyMs`, never finishing it. */
export function slowHeaders(port: number, everyMs: number): net.Socket {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  // Reads (and discards) what comes back: a paused socket would never see the server close it.
  socket.resume();
  const head = "POST /routeguide.RouteGuide/GetFeature HTTP/1.1\r\nHost: x\r\nX-Padding: " + "a".repeat(10_000);
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(head[sent++ % head.length] as string);
  }, everyMs);
  socket.once("close", () => clearInterval(timer));
  return socket;
}

/** A socket that sends complete headers announcing a body it never finishes. */
export function stalledBody(port: number): net.Socket {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  socket.resume();
  socket.write("POST /routeguide.RouteGuide/GetFeature HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"la");
  return socket;
}

/** Opens a raw HTTP/2 gRPC stream; resolves with its response headers and trailers when it ends. */
export function rawGrpcStream(session: http2.ClientHttp2Session, path: string, contentType = "application/grpc") {
  const stream = session.request({ ":method": "POST", ":path": path, "content-type": contentType, te: "trailers" });
  stream.on("error", () => {});
  const result = new Promise<{ status?: string; message?: string; rstCode: number; headers: http2.IncomingHttpHeaders }>((resolve) => {
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", () => {});
    stream.once("close", () =>
      resolve({
        status: (trailers["grpc-status"] ?? headers["grpc-status"]) as string | undefined,
        message: (trailers["grpc-message"] ?? headers["grpc-message"]) as string | undefined,
        rstCode: stream.rstCode ?? 0,
        headers,
      }),
    );
  });
  return { stream, result };
}

/**
 * Soak: `npm run soak -- [--minutes 10] [--sample-seconds 10]`. Starts its own server process
 * (default limits, throwaway database) on loopback and runs mixed load against it: unary calls
 * on every protocol, SubscribeNotes streams opening and closing all the time, RouteChat and Chat
 * streams, note and chat posts, logins. Samples RSS, heap, open file descriptors, active
 * handles, hub subscribers and open streams; after the load stops, everything must return to
 * its idle level. Prints a markdown table; exits 1 if something did not come back.
 */
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { RouteGuide } from "../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../gen/routeguide/route_notes_pb.js";
import { ChatRoomService } from "../gen/userservice/chat_room_pb.js";
import { UserService } from "../gen/userservice/user_service_pb.js";
import { bearer } from "../server/test-support/test-server.js";
import { spawnServer } from "../server/test-support/server-process.js";

const { values } = parseArgs({ options: { minutes: { type: "string", default: "10" }, "sample-seconds": { type: "string", default: "10" } } });
const durationMs = Number(values.minutes) * 60_000;
const sampleMs = Number(values["sample-seconds"]) * 1000;
const TOKEN = "soak-service-token";
const dir = mkdtempSync(join(tmpdir(), "soak-"));
/** Idle HTTP/2 connections close after this; the check after the load waits a little longer. */
const IDLE_TIMEOUT_MS = 10_000;
const server = await spawnServer({ DATABASE_URL: `sqlite:${join(dir, "soak.db")}`, AUTH_TOKENS: TOKEN, LOG_LEVEL: "info", IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) });
const url = server.url;

interface Sample {
  minute: number;
  rssMiB: number;
  heapMiB: number;
  fds: number;
  handles: number;
  noteSubscribers: number;
  chatSubscribers: number;
  openStreams: number;
  calls: number;
}

async function sample(minute: number): Promise<Sample> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (pattern: string) => Number(new RegExp(`^${pattern} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  const sum = (name: string) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))].reduce((total, match) => total + Number(match[1]), 0);
  return {
    minute,
    rssMiB: Math.round(read("process_resident_memory_bytes") / 1048576),
    heapMiB: Math.round(read("nodejs_heap_size_used_bytes") / 1048576),
    fds: read("process_open_fds"),
    handles: read("nodejs_active_handles_total"),
    noteSubscribers: read('hub_subscribers\\{hub="notes"\\}'),
    chatSubscribers: read('hub_subscribers\\{hub="chat"\\}'),
    openStreams: sum("rpc_open_streams"),
    calls: sum("rpc_calls_total"),
  };
}

/** Each client its own loopback address, so per-client limits count each separately, as for real users. */
let nextAddress = 10;
function transportFor(kind: number): Transport {
  const localAddress = `127.0.0.${nextAddress++ % 200 + 10}`;
  const interceptors = [bearer(TOKEN)];
  switch (kind % 4) {
    case 0:
      // http2.connect hands its options to net.connect, which takes localAddress.
      return createGrpcTransport({ baseUrl: url, interceptors, nodeOptions: { localAddress } as never });
    case 1:
      return createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1", interceptors, nodeOptions: { localAddress } });
    case 2:
      return createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors, nodeOptions: { localAddress } });
    default:
      return createConnectTransport({ baseUrl: url, httpVersion: "2", useBinaryFormat: true, interceptors, nodeOptions: { localAddress } as never });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const running = () => Date.now() - started < durationMs;
const errors = new Map<string, number>();
const count = (error: unknown) => {
  const key = `${ConnectError.from(error).code}: ${ConnectError.from(error).rawMessage.replace(/\d+/g, "N").slice(0, 60)}`;
  errors.set(key, (errors.get(key) ?? 0) + 1);
};

const users = createClient(UserService, transportFor(0));
await users.createUser({ username: "soaker", email: "soaker@example.com", password: "soak password" });

async function unaryWorker(kind: number) {
  const transport = transportFor(kind);
  const guide = createClient(RouteGuide, transport);
  const userService = createClient(UserService, transport);
  while (running()) {
    try {
      await guide.getFeature({ latitude: 409146138, longitude: -746188906 });
      for await (const _ of guide.listFeatures({ lo: { latitude: 400000000, longitude: -750000000 }, hi: { latitude: 420000000, longitude: -730000000 } }));
      for await (const _ of userService.listUsers({ pageSize: 10 }));
    } catch (error) {
      count(error);
    }
    await sleep(20);
  }
}

/** Opens a stream, keeps it for a random while between `minMs` and `maxMs`, hangs up, and again. */
async function churn(minMs: number, maxMs: number, open: (signal: AbortSignal) => AsyncIterable<unknown>) {
  while (running()) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), minMs + Math.random() * (maxMs - minMs));
    try {
      for await (const _ of open(controller.signal));
    } catch (error) {
      if (!controller.signal.aborted) count(error);
    }
    clearTimeout(timer);
  }
}

const subscriptionChurn = (kind: number) =>
  churn(1_000, 10_000, (signal) =>
    createClient(RouteNotesService, transportFor(kind)).subscribeNotes({ scope: { case: "location", value: { latitude: kind, longitude: kind } }, heartbeats: true }, { signal }),
  );

const chatListeners = (kind: number) => churn(2_000, 7_000, (signal) => createClient(ChatRoomService, transportFor(kind)).subscribe({}, { signal }));

async function posters(kind: number) {
  const transport = transportFor(kind);
  const notes = createClient(RouteNotesService, transport);
  const chat = createClient(ChatRoomService, transport);
  while (running()) {
    try {
      await notes.postNote({ location: { latitude: kind % 8, longitude: kind % 8 }, message: `soak ${Date.now()}` });
      await chat.post({ text: `soak ${Date.now()}` });
    } catch (error) {
      count(error);
    }
    // 8 posters share one identity (the service token): 8 chat messages a second, under RATE_LIMIT_CHAT.
    await sleep(1_000);
  }
}

async function routeChats() {
  while (running()) {
    const guide = createClient(RouteGuide, transportFor(0));
    try {
      async function* three() {
        for (let i = 0; i < 3; i++) {
          yield { location: { latitude: 7, longitude: 7 }, message: `route chat ${i}` };
          await sleep(300);
        }
      }
      for await (const _ of guide.routeChat(three()));
    } catch (error) {
      count(error);
    }
  }
}

async function logins() {
  const anonymous = createClient(UserService, transportFor(2));
  while (running()) {
    try {
      await anonymous.login({ username: "soaker", password: "soak password" });
    } catch (error) {
      count(error);
    }
    await sleep(3_000);
  }
}

const idle = await sample(0);
const samples: Sample[] = [idle];
const sampler = setInterval(() => void sample(Math.round(((Date.now() - started) / 60_000) * 10) / 10).then((s) => samples.push(s)), sampleMs);
console.log(`soak: ${values.minutes} min of mixed load against ${url}`);
await Promise.all([
  ...Array.from({ length: 4 }, (_, i) => unaryWorker(i)),
  ...Array.from({ length: 40 }, (_, i) => subscriptionChurn(i)),
  ...Array.from({ length: 8 }, (_, i) => posters(i)),
  ...Array.from({ length: 10 }, (_, i) => chatListeners(i)),
  routeChats(),
  logins(),
]);
clearInterval(sampler);
// HTTP/1.1 keep-alive connections close after 5 s, idle HTTP/2 ones after IDLE_TIMEOUT_MS.
await sleep(IDLE_TIMEOUT_MS + 5_000);
const after = await sample(Math.round(((Date.now() - started) / 60_000) * 10) / 10);
await server.stop("SIGTERM");
rmSync(dir, { recursive: true, force: true });

const every = Math.max(1, Math.floor(samples.length / 12));
const shown = samples.filter((_, i) => i % every === 0 || i === samples.length - 1);
console.log("\n| minute | RSS MiB | heap MiB | open fds | handles | note subscribers | chat subscribers | open streams | calls |");
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const s of [...shown, after]) {
  console.log(`| ${s.minute} | ${s.rssMiB} | ${s.heapMiB} | ${s.fds} | ${s.handles} | ${s.noteSubscribers} | ${s.chatSubscribers} | ${s.openStreams} | ${s.calls} |`);
}
console.log(`(last row: ${(IDLE_TIMEOUT_MS + 5_000) / 1000} s after the load stopped)\n`);
for (const [error, times] of errors) console.log(`client saw ${times} × ${error}`);

// Memory is judged on the loaded samples after the first fifth (warm-up), if there are enough.
const loaded = samples.slice(1);
const steady = loaded.slice(Math.floor(loaded.length / 5));
const rssGrowth = steady.length >= 3 ? (steady.at(-1)!.rssMiB - steady[0]!.rssMiB) / steady[0]!.rssMiB : undefined;
const problems = [
  after.noteSubscribers !== 0 && `note subscribers ${after.noteSubscribers} after the load`,
  after.chatSubscribers !== 0 && `chat subscribers ${after.chatSubscribers} after the load`,
  after.openStreams !== 0 && `${after.openStreams} streams open after the load`,
  after.fds > idle.fds + 5 && `open fds ${after.fds}, idle was ${idle.fds}`,
  rssGrowth !== undefined && rssGrowth > 0.25 && `RSS grew ${Math.round(rssGrowth * 100)}% after warm-up`,
].filter(Boolean);
console.log(
  rssGrowth === undefined
    ? "RSS: too short a run to judge growth (fewer than 3 samples after warm-up)"
    : `RSS after warm-up: ${steady[0]!.rssMiB} -> ${steady.at(-1)!.rssMiB} MiB (${Math.round(rssGrowth * 100)}%)`,
);
for (const problem of problems) console.log(`PROBLEM ${problem}`);
process.exit(problems.length === 0 ? 0 : 1);

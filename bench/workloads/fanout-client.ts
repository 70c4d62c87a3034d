// Fan-out load generator (run pinned to the other core): SUBSCRIBERS SubscribeNotes streams at
// one location, split evenly over the PORTS (comma-separated: replicas), and one RouteChat stream
// on the first port posting POSTS notes there, INTERVAL_MS apart. Each note carries its send
// time; every delivery's latency is recorded. A first note that every subscriber must receive
// before the measured ones start makes sure each stream is live (its history read done), so the
// figures are fan-out, not the backlog of 1,000 streams opening; more warm-up notes follow, so
// that they are the fan-out of warmed code, not V8 compiling it. Prints one JSON line.
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { PointSchema, RouteNoteSchema } from "../../gen/routeguide/route_guide_pb.js";
import { grpcFrame } from "../lib/grpc-frames.js";
import { openSubscriptions, type SubscriptionProtocol } from "../lib/note-subscriptions.js";
import { percentile } from "../lib/stats.js";

const ports = (process.argv[2] as string).split(",").map(Number);
const [subscribers, posts, intervalMs] = process.argv.slice(3, 6).map(Number) as [number, number, number];
const protocol = (process.argv[6] ?? "grpc") as SubscriptionProtocol;
const port = ports[0] as number;
// A fresh location per run, so earlier runs' notes are not replayed as history.
const location = create(PointSchema, { latitude: 100000000 + Math.floor(Math.random() * 700000000), longitude: 1000 + (process.pid % 100000) });
const latencies: number[] = [];
const processedLatencies: number[] = [];
/** Notes posted, at the interval, before the measured ones; the first is waited for by every subscriber before the rest. */
const WARM_UP_NOTES = 20;
let warmedUp = 0;
// One core reads every subscriber's connection, so the last subscribers' notes wait for this
// process to work through the earlier ones. A note's arrival is taken as the start of the
// event-loop turn that read it (the kernel had it then); the time this process got to it is
// kept too ("processed"), as the cost of one reader for all.
let turnStart: number | undefined;
const arrival = () => {
  if (turnStart === undefined) {
    turnStart = performance.now();
    setImmediate(() => (turnStart = undefined));
  }
  return turnStart;
};
const record = (note: { note?: { message: string } }) => {
  const arrived = arrival();
  if (note.note?.message === "warm-up") warmedUp++;
  else {
    latencies.push(arrived - Number(note.note?.message));
    processedLatencies.push(performance.now() - Number(note.note?.message));
  }
};
const all = ports.map((replica, i) => openSubscriptions(replica, Math.floor(subscribers / ports.length) + (i < subscribers % ports.length ? 1 : 0), location, record, 1000, protocol));
const subscriptions = { close: () => all.forEach((subscription) => subscription.close()) };
await Promise.all(all.map((subscription) => subscription.opened));

const session = http2.connect(`http://127.0.0.1:${port}`);
const chat = session.request({ ":method": "POST", ":path": "/routeguide.RouteGuide/RouteChat", "content-type": "application/grpc", te: "trailers" });
chat.on("data", () => {});
chat.on("error", () => {});
const postWarmUp = () => chat.write(grpcFrame(toBinary(RouteNoteSchema, create(RouteNoteSchema, { location, message: "warm-up" }))));
const warmUpDeadline = Date.now() + 120_000;
const allWarmedUp = async (notes: number) => {
  while (warmedUp < subscribers * notes) {
    if (Date.now() > warmUpDeadline) throw new Error(`only ${warmedUp} of ${subscribers * notes} warm-up deliveries arrived`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
postWarmUp();
await allWarmedUp(1);
// Then the server's code is warmed as the unary rounds warm it (1 s of load) and more: V8
// compiles the fan-out's hot functions with its optimizing compiler after about a dozen notes of
// 1,000 deliveries, and with the server pinned to one core its compiler threads share that core:
// the note it compiled during took 36-52 ms instead of 12-20 (bench/RESULTS.md, ninth stop).
for (let index = 1; index < WARM_UP_NOTES; index++) {
  postWarmUp();
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
}
await allWarmedUp(WARM_UP_NOTES);
for (let index = 0; index < posts; index++) {
  chat.write(grpcFrame(toBinary(RouteNoteSchema, create(RouteNoteSchema, { location, message: String(performance.now()) }))));
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
}
const deadline = Date.now() + 5_000;
while (latencies.length < subscribers * posts && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
chat.end();
session.close();
subscriptions.close();
console.log(
  JSON.stringify({
    subscribers,
    protocol,
    replicas: ports.length,
    posts,
    expected: subscribers * posts,
    delivered: latencies.length,
    min: percentile(latencies, 0),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    processedP99: percentile(processedLatencies, 99),
  }),
);
process.exit(0);

// Opens COUNT idle SubscribeNotes streams (heartbeats only) and holds them until SIGTERM.
// Prints "open COUNT" once every stream has received its first heartbeat.
import { create } from "@bufbuild/protobuf";
import { PointSchema } from "../../gen/routeguide/route_guide_pb.js";
import { openSubscriptions } from "../lib/note-subscriptions.js";

const [port, count] = process.argv.slice(2).map(Number) as [number, number];
const subscriptions = openSubscriptions(port, count, create(PointSchema, { latitude: 1, longitude: 1 }));
await subscriptions.opened;
console.log(`open ${count}`);
process.on("SIGTERM", () => {
  subscriptions.close();
  process.exit(0);
});
setInterval(() => {}, 60_000);

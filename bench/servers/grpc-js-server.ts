// The yardstick: @grpc/grpc-js serving the same RouteGuide methods from the same 100 features,
// as a grpc-js user would write it (proto-loader, plain objects). Prints "listening on PORT".
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { openEmbeddedStorage } from "../../server/storage/open-storage.js";

interface Point {
  latitude: number;
  longitude: number;
}
interface Feature {
  name: string;
  location: Point;
}

const features = JSON.parse(readFileSync(new URL("../../server/data/route_guide_db.json", import.meta.url), "utf8")) as Feature[];
const byKey = new Map(features.map((feature) => [`${feature.location.latitude},${feature.location.longitude}`, feature]));
const definition = protoLoader.loadSync(["routeguide/route_guide.proto", "userservice/user_service.proto"], {
  includeDirs: [new URL("../../proto", import.meta.url).pathname],
  keepCase: true,
  longs: String,
  defaults: true,
});
const { routeguide, userservice } = grpc.loadPackageDefinition(definition) as any;

const inside = (lo: Point, hi: Point, point: Point) =>
  point.longitude >= Math.min(lo.longitude, hi.longitude) &&
  point.longitude <= Math.max(lo.longitude, hi.longitude) &&
  point.latitude >= Math.min(lo.latitude, hi.latitude) &&
  point.latitude <= Math.max(lo.latitude, hi.latitude);

const server = new grpc.Server();
server.addService(routeguide.RouteGuide.service, {
  getFeature(call: any, callback: any) {
    const point = call.request as Point;
    callback(null, byKey.get(`${point.latitude},${point.longitude}`) ?? { name: "", location: point });
  },
  listFeatures(call: any) {
    const { lo, hi } = call.request;
    for (const feature of features) if (inside(lo, hi, feature.location)) call.write(feature);
    call.end();
  },
  recordRoute(call: any, callback: any) {
    let pointCount = 0;
    call.on("data", () => pointCount++);
    call.on("end", () => callback(null, { point_count: pointCount, feature_count: 0, distance: 0, elapsed_time: 0 }));
  },
  routeChat(call: any) {
    call.on("data", (note: unknown) => call.write(note));
    call.on("end", () => call.end());
  },
});
// ListUsers from the same SQLite database as the project's server, so streams compare like for like.
if (process.env.DATABASE_URL) {
  const storage = openEmbeddedStorage(process.env.DATABASE_URL);
  server.addService(userservice.UserService.service, {
    async listUsers(call: any) {
      const pageSize = Math.min(call.request.page_size || 10, 1000);
      const records = await storage.users.list(call.request.page_token || undefined, pageSize);
      for (const user of records) {
        call.write({ id: user.id, username: user.username, email: user.email, created_at: String(user.createdAt), roles: user.roles });
      }
      call.end();
    },
  });
}
server.bindAsync(`127.0.0.1:${process.env.PORT ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(`listening on ${port}`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));

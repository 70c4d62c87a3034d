// The ceiling on this machine: node:http2's stream API answering every request with one fixed,
// pre-encoded gRPC response (a GetFeature reply) and no parsing at all. Prints "listening on PORT".
import { create, toBinary } from "@bufbuild/protobuf";
import http2 from "node:http2";
import { FeatureSchema } from "../../gen/routeguide/route_guide_pb.js";

const message = toBinary(
  FeatureSchema,
  create(FeatureSchema, { name: "Berkshire Valley Management Area Trail, Jefferson, NJ, USA", location: { latitude: 409146138, longitude: -746188906 } }),
);
const frame = Buffer.alloc(5 + message.length);
frame.writeUInt32BE(message.length, 1);
frame.set(message, 5);

const server = http2.createServer();
server.on("stream", (stream) => {
  stream.on("data", () => {});
  stream.on("end", () => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(frame);
  });
  stream.on("error", () => {});
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on ${(server.address() as { port: number }).port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));

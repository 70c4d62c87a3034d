// The HTTP/1.1 ceiling on this machine, as bare-http2-server.ts is for h2c: node:http answering
// every request with one fixed, pre-encoded GetFeature reply in the protocol the request's
// content-type asks for (gRPC-Web, Connect JSON, Connect binary), after reading the body, with
// no parsing at all. Keep-alive, as browsers use it. Prints "listening on PORT".
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import http from "node:http";
import { FeatureSchema } from "../../gen/routeguide/route_guide_pb.js";

const feature = create(FeatureSchema, { name: "Berkshire Valley Management Area Trail, Jefferson, NJ, USA", location: { latitude: 409146138, longitude: -746188906 } });
const binary = toBinary(FeatureSchema, feature);

function frame(flags: number, payload: Uint8Array): Buffer {
  const framed = Buffer.alloc(5 + payload.length);
  framed[0] = flags;
  framed.writeUInt32BE(payload.length, 1);
  framed.set(payload, 5);
  return framed;
}

const REPLIES: Record<string, { contentType: string; body: Buffer }> = {
  "application/grpc-web+proto": { contentType: "application/grpc-web+proto", body: Buffer.concat([frame(0, binary), frame(0x80, Buffer.from("grpc-status: 0\r\n"))]) },
  "application/json": { contentType: "application/json", body: Buffer.from(toJsonString(FeatureSchema, feature)) },
  "application/proto": { contentType: "application/proto", body: Buffer.from(binary) },
};

const server = http.createServer((request, response) => {
  request.on("data", () => {});
  request.on("end", () => {
    const reply = REPLIES[request.headers["content-type"] ?? ""] ?? REPLIES["application/proto"]!;
    response.writeHead(200, { "content-type": reply.contentType, "content-length": reply.body.length });
    response.end(reply.body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on ${(server.address() as { port: number }).port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));

// The pre-encoded GetFeature reply the bare ceiling servers answer with, in each protocol's form.
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { FeatureSchema } from "../../gen/routeguide/route_guide_pb.js";

const feature = create(FeatureSchema, { name: "Berkshire Valley Management Area Trail, Jefferson, NJ, USA", location: { latitude: 409146138, longitude: -746188906 } });
const binary = toBinary(FeatureSchema, feature);

/** A gRPC / gRPC-Web envelope. */
export function frame(flags: number, payload: Uint8Array): Buffer {
  const framed = Buffer.alloc(5 + payload.length);
  framed[0] = flags;
  framed.writeUInt32BE(payload.length, 1);
  framed.set(payload, 5);
  return framed;
}

/** The gRPC reply's one message frame (the status goes in HTTP trailers). */
export const GRPC_MESSAGE = frame(0, binary);

const REPLIES: Record<string, { contentType: string; body: Buffer }> = {
  "application/grpc-web+proto": { contentType: "application/grpc-web+proto", body: Buffer.concat([GRPC_MESSAGE, frame(0x80, Buffer.from("grpc-status: 0\r\n"))]) },
  "application/json": { contentType: "application/json", body: Buffer.from(toJsonString(FeatureSchema, feature)) },
  "application/proto": { contentType: "application/proto", body: Buffer.from(binary) },
};

/** The reply for a gRPC-Web or Connect request's content type; Connect binary for anything else (a Connect GET). */
export function webReply(contentType: string | undefined): { contentType: string; body: Buffer } {
  return REPLIES[contentType ?? ""] ?? (REPLIES["application/proto"] as { contentType: string; body: Buffer });
}

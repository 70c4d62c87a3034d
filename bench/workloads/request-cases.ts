import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { fromBinary } from "@bufbuild/protobuf";
import { FeatureSchema, PointSchema, RectangleSchema } from "../../gen/routeguide/route_guide_pb.js";
import { ListUsersRequestSchema, UserSchema } from "../../gen/userservice/user_service_pb.js";
import { createFrameReader, grpcFrame } from "../lib/grpc-frames.js";
import type { RawResponse } from "../lib/raw-call.js";

export type ServerName = "project" | "grpc-js" | "bare http2" | "bare http1";

/** One kind of request that h2load repeats, and how to check one answer is right. */
export interface RequestCase {
  label: string;
  path: string;
  headers: Record<string, string>;
  /** The request body (a POST); undefined for a GET. */
  body: Uint8Array | undefined;
  h1: boolean;
  /** The servers that speak this protocol. */
  servers: readonly ServerName[];
  /** Response messages per call (streams); 1 for unary. */
  messagesPerCall: number;
  /** Throws unless the answer is a success carrying the expected message(s). */
  verify(response: RawResponse): void;
}

export const BENCH_TOKEN = "bench-token";
const FEATURE_NAME = "Berkshire Valley Management Area Trail, Jefferson, NJ, USA";
const point = create(PointSchema, { latitude: 409146138, longitude: -746188906 });
const GET_FEATURE = "/routeguide.RouteGuide/GetFeature";
const grpcHeaders = { "content-type": "application/grpc", te: "trailers" };

function grpcMessages(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  createFrameReader((message) => messages.push(message))(body);
  return messages;
}

function expectGrpcFeature(response: RawResponse): void {
  const status = response.trailers["grpc-status"] ?? response.headers["grpc-status"];
  if (response.status !== 200 || status !== "0") throw new Error(`gRPC status ${status} (HTTP ${response.status})`);
  const [message] = grpcMessages(response.body);
  if (message === undefined || fromBinary(FeatureSchema, message).name !== FEATURE_NAME) throw new Error("wrong GetFeature answer");
}

/** GetFeature over every protocol and HTTP version the project serves; gRPC on all three servers, HTTP/1.1 against its ceiling too. */
export function unaryCases(): RequestCase[] {
  const binary = toBinary(PointSchema, point);
  const json = new TextEncoder().encode(toJsonString(PointSchema, point));
  const cases: RequestCase[] = [
    { label: "GetFeature gRPC (h2c)", path: GET_FEATURE, headers: grpcHeaders, body: grpcFrame(binary), h1: false, servers: ["project", "grpc-js", "bare http2"], messagesPerCall: 1, verify: expectGrpcFeature },
  ];
  for (const h1 of [true, false]) {
    const http = h1 ? "HTTP/1.1" : "h2c";
    cases.push(
      {
        label: `GetFeature gRPC-Web (${http})`,
        path: GET_FEATURE,
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        body: grpcFrame(binary),
        h1,
        servers: h1 ? ["project", "bare http1"] : ["project", "bare http2"],
        messagesPerCall: 1,
        verify(response) {
          const text = response.body.toString("latin1");
          if (response.status !== 200 || !/grpc-status: ?0/.test(text) || !text.includes(FEATURE_NAME)) throw new Error("wrong gRPC-Web answer");
        },
      },
      {
        label: `GetFeature Connect JSON (${http})`,
        path: GET_FEATURE,
        headers: { "content-type": "application/json" },
        body: json,
        h1,
        servers: h1 ? ["project", "bare http1"] : ["project", "bare http2"],
        messagesPerCall: 1,
        verify(response) {
          if (response.status !== 200 || !response.body.toString().includes(FEATURE_NAME)) throw new Error(`Connect JSON: HTTP ${response.status}`);
        },
      },
      {
        label: `GetFeature Connect binary (${http})`,
        path: GET_FEATURE,
        headers: { "content-type": "application/proto" },
        body: binary,
        h1,
        servers: h1 ? ["project", "bare http1"] : ["project", "bare http2"],
        messagesPerCall: 1,
        verify(response) {
          if (response.status !== 200 || fromBinary(FeatureSchema, response.body).name !== FEATURE_NAME) throw new Error(`Connect binary: HTTP ${response.status}`);
        },
      },
      {
        // As connect-web sends it with useHttpGet: binary, base64url in the query.
        label: `GetFeature Connect GET (${http})`,
        path: `${GET_FEATURE}?connect=v1&encoding=proto&base64=1&message=${Buffer.from(binary).toString("base64url")}`,
        headers: {},
        body: undefined,
        h1,
        servers: h1 ? ["project", "bare http1"] : ["project", "bare http2"],
        messagesPerCall: 1,
        verify(response) {
          if (response.status !== 200 || fromBinary(FeatureSchema, response.body).name !== FEATURE_NAME) throw new Error(`Connect GET: HTTP ${response.status}`);
        },
      },
    );
  }
  return cases;
}

/** Frames of a gRPC-Web or Connect stream body, by flag: messages (flag 0) and the last frame's text. */
function webStreamFrames(body: Buffer): { messages: Buffer[]; last: string } {
  const messages: Buffer[] = [];
  let last = "";
  for (let offset = 0; offset + 5 <= body.length; ) {
    const length = body.readUInt32BE(offset + 1);
    const payload = body.subarray(offset + 5, offset + 5 + length);
    if (body[offset] === 0) messages.push(payload);
    else last = payload.toString("utf8");
    offset += 5 + length;
  }
  return { messages, last };
}

/** Server streaming over every protocol and HTTP version: all 100 features per call, and a 1000-user page of ListUsers. */
export function streamingCases(): RequestCase[] {
  const everywhere = create(RectangleSchema, { lo: { latitude: 400000000, longitude: -750000000 }, hi: { latitude: 420000000, longitude: -730000000 } });
  const countMessages = (expected: number, check: (message: Buffer) => void) => (response: RawResponse) => {
    const status = response.trailers["grpc-status"] ?? response.headers["grpc-status"];
    const messages = grpcMessages(response.body);
    if (status !== "0" || messages.length !== expected) throw new Error(`stream: status ${status}, ${messages.length} messages, expected ${expected}`);
    check(messages[0] as Buffer);
  };
  const webCases: RequestCase[] = [];
  const streams: { name: string; path: string; body: Uint8Array; headers: Record<string, string>; count: number }[] = [
    { name: "ListFeatures", path: "/routeguide.RouteGuide/ListFeatures", body: toBinary(RectangleSchema, everywhere), headers: {}, count: 100 },
    { name: "ListUsers", path: "/userservice.UserService/ListUsers", body: toBinary(ListUsersRequestSchema, create(ListUsersRequestSchema, { pageSize: 1000 })), headers: { authorization: `Bearer ${BENCH_TOKEN}` }, count: 1000 },
  ];
  for (const stream of streams) {
    for (const h1 of [true, false]) {
      for (const [protocol, contentType, ok] of [["gRPC-Web", "application/grpc-web+proto", /grpc-status: ?0/], ["Connect", "application/connect+proto", /^\{\}$/]] as const) {
        webCases.push({
          label: `${stream.name} ${protocol} (${h1 ? "HTTP/1.1" : "h2c"})`,
          path: stream.path,
          headers: { "content-type": contentType, ...stream.headers },
          body: grpcFrame(stream.body),
          h1,
          servers: ["project"],
          messagesPerCall: stream.count,
          verify(response) {
            const { messages, last } = webStreamFrames(response.body);
            if (response.status !== 200 || messages.length !== stream.count || !ok.test(last.trim())) throw new Error(`${protocol} stream: HTTP ${response.status}, ${messages.length} messages, ended ${last}`);
          },
        });
      }
    }
  }
  return [
    {
      label: "ListFeatures gRPC (100 messages per call)",
      path: "/routeguide.RouteGuide/ListFeatures",
      headers: grpcHeaders,
      body: grpcFrame(toBinary(RectangleSchema, everywhere)),
      h1: false,
      servers: ["project", "grpc-js"],
      messagesPerCall: 100,
      verify: countMessages(100, (message) => void fromBinary(FeatureSchema, message)),
    },
    {
      label: "ListUsers gRPC (1,000 users per call)",
      path: "/userservice.UserService/ListUsers",
      headers: { ...grpcHeaders, authorization: `Bearer ${BENCH_TOKEN}` },
      body: grpcFrame(toBinary(ListUsersRequestSchema, create(ListUsersRequestSchema, { pageSize: 1000 }))),
      h1: false,
      servers: ["project", "grpc-js"],
      messagesPerCall: 1000,
      verify: countMessages(1000, (message) => {
        if (!fromBinary(UserSchema, message).username) throw new Error("user without a name");
      }),
    },
    ...webCases,
  ];
}

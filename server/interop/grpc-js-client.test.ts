import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fromBinary } from "@bufbuild/protobuf";
import protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { eventually, startTestServer, TEST_TOKEN, type TestServer } from "../test-support/test-server.js";

// A native gRPC client built at run time from the .proto files, as a user of grpc-js would.
const definition = protoLoader.loadSync(["routeguide/route_guide.proto", "userservice/user_service.proto"], {
  includeDirs: [new URL("../../proto", import.meta.url).pathname],
  keepCase: true,
  longs: String,
  defaults: true,
});
const loaded = grpc.loadPackageDefinition(definition) as any;

/** google.rpc.Status as googleapis defines it (field numbers 1-3; Any is type_url 1, value 2). */
const STATUS = protobuf
  .parse(`syntax = "proto3"; package google.rpc;
    message Any { string type_url = 1; bytes value = 2; }
    message Status { int32 code = 1; string message = 2; repeated Any details = 3; }`, { keepCase: true })
  .root.lookupType("google.rpc.Status");

let server: TestServer;
let guide: any;
let users: any;
beforeAll(async () => {
  server = await startTestServer();
  const address = `127.0.0.1:${server.server.port}`;
  guide = new loaded.routeguide.RouteGuide(address, grpc.credentials.createInsecure());
  users = new loaded.userservice.UserService(address, grpc.credentials.createInsecure());
});
afterAll(async () => {
  guide.close();
  users.close();
  await server.close();
});

/** Metadata carrying the test service token, as a grpc-js user passes credentials per call. */
const authorized = () => {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${TEST_TOKEN}`);
  return metadata;
};
const unary = <T>(client: any, method: string, request: object, options: object = {}): Promise<T> =>
  new Promise((resolve, reject) => client[method](request, authorized(), options, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))));
const serverStream = <T>(call: grpc.ClientReadableStream<T>): Promise<T[]> =>
  new Promise((resolve, reject) => {
    const items: T[] = [];
    call.on("data", (item: T) => items.push(item)).on("end", () => resolve(items)).on("error", reject);
  });
const clientStream = <T>(client: any, method: string, requests: object[]): Promise<T> =>
  new Promise((resolve, reject) => {
    const call = client[method](authorized(), (e: Error | null, r: T) => (e ? reject(e) : resolve(r)));
    for (const request of requests) call.write(request);
    call.end();
  });

describe("@grpc/grpc-js against the one port", () => {
  it("RouteGuide: all four call kinds", async () => {
    const feature = await unary<any>(guide, "GetFeature", { latitude: 409146138, longitude: -746188906 });
    expect(feature.name).toBe("Berkshire Valley Management Area Trail, Jefferson, NJ, USA");

    const features = await serverStream<any>(guide.ListFeatures({ lo: { latitude: 400000000, longitude: -750000000 }, hi: { latitude: 420000000, longitude: -730000000 } }));
    expect(features).toHaveLength(100);

    const summary = await clientStream<any>(guide, "RecordRoute", [
      { latitude: 407838351, longitude: -746143763 },
      { latitude: 408122808, longitude: -743999179 },
    ]);
    expect(summary).toMatchObject({ point_count: 2, feature_count: 2, distance: 18327 });

    const chat = guide.RouteChat();
    const replies: string[] = [];
    chat.on("data", (note: any) => replies.push(note.message));
    const ended = new Promise((resolve) => chat.on("end", resolve));
    for (const message of ["one", "two", "three"]) chat.write({ location: { latitude: 1, longitude: 2 }, message });
    chat.end();
    await ended;
    expect(replies).toEqual(["one", "one", "two"]);
  });

  it("RouteChat: a note from one native stream reaches another live", async () => {
    const here = { latitude: 77, longitude: 77 };
    const first = guide.RouteChat();
    const firstGot: string[] = [];
    first.on("data", (note: any) => firstGot.push(note.message));
    first.write({ location: here, message: "first stream" });
    await eventually(() => server.app.noteHub.subscriberCount() === 1);
    const second = guide.RouteChat();
    const secondGot: string[] = [];
    second.on("data", (note: any) => secondGot.push(note.message));
    second.write({ location: here, message: "second stream" });
    await eventually(() => firstGot.includes("second stream"), 5_000, "live note at the first stream");
    await eventually(() => secondGot.includes("first stream"), 5_000, "history at the second stream");
    first.end();
    second.end();
  });

  it("UserService: all four call kinds, and errors with their codes", async () => {
    const created = await unary<any>(users, "CreateUser", { username: "grpcjs", email: "grpcjs@example.com", password: "long enough" });
    expect(created).toMatchObject({ username: "grpcjs", roles: ["user"] });
    expect(await unary<any>(users, "GetUser", { id: created.id })).toEqual(created);
    expect(await serverStream<any>(users.ListUsers({ page_size: 5 }, authorized()))).toContainEqual(created);

    const batch = await clientStream<any>(users, "BatchCreateUsers", [
      { username: "grpcjs2", email: "grpcjs2@example.com", password: "long enough" },
      { username: "grpcjs", email: "other@example.com", password: "long enough" },
    ]);
    expect(batch).toEqual({ created: 1, errors: ['request 1: username: "grpcjs" is already taken'] });

    const chat = users.Chat(authorized());
    const got: any[] = [];
    chat.on("data", (message: any) => got.push(message));
    const ended = new Promise((resolve) => chat.on("end", resolve));
    chat.write({ user_id: "grpcjs", text: "hello" });
    await eventually(() => got.length === 1);
    chat.end();
    await ended;
    expect(got[0]).toMatchObject({ user_id: "service:1", text: "hello" });
    expect(Number(got[0].timestamp)).toBeGreaterThan(0);

    await expect(unary(users, "GetUser", { id: "nobody" })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: 'user "nobody" not found' });
    await expect(unary(users, "CreateUser", { username: "x", email: "", password: "" })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: "username: must be at least 3 characters; email: value is required; password: value is required",
    });
    await expect(unary(guide, "GetFeature", { latitude: 0, longitude: 1800000001 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it("reads an invalid request's field violations from grpc-status-details-bin as googleapis defines it", async () => {
    const error = await unary(users, "CreateUser", { username: "ada", email: "nope", password: "long enough" }).catch((e: grpc.ServiceError) => e);
    expect(error).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "email: must be a valid email address" });
    const [bytes] = (error as grpc.ServiceError).metadata.get("grpc-status-details-bin") as Buffer[];
    // google.rpc.Status, decoded by protobufjs rather than by the Connect code that encoded it.
    const status = STATUS.decode(bytes!) as unknown as { code: number; message: string; details: { type_url: string; value: Uint8Array }[] };
    expect(status).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, message: "email: must be a valid email address" });
    expect(status.details.map((detail) => detail.type_url)).toEqual(["type.googleapis.com/buf.validate.Violations", "type.googleapis.com/google.rpc.BadRequest"]);
    const badRequest = fromBinary(BadRequestSchema, status.details[1]!.value);
    expect(badRequest.fieldViolations).toEqual([expect.objectContaining({ field: "email", description: "must be a valid email address", reason: "string.email" })]);
  });

  it("honours a deadline", async () => {
    const error = await new Promise<any>((resolve) => {
      const call = guide.RecordRoute({ deadline: Date.now() + 300 }, (e: Error | null) => resolve(e));
      call.write({ latitude: 1, longitude: 1 });
    });
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });
});

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerReflection, type ServerReflectionRequest } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { clientFor, collect, PROTOCOL_MATRIX, startTestServer, type TestServer } from "../test-support/test-server.js";

const run = promisify(execFile);
const buf = new URL("../../node_modules/.bin/buf", import.meta.url).pathname;
const SERVICES = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
  "routeguide.RouteGuide",
  "routeguide.RouteNotesService",
  "routeguide.RouteRecordingService",
  "userservice.ChatRoomService",
  "userservice.UserService",
];

let server: TestServer;
beforeAll(async () => (server = await startTestServer()));
afterAll(() => server.close());

describe.each(["grpc-v1", "grpc-v1alpha"])("buf curl with reflection (%s), no .proto files", (reflectProtocol) => {
  const bufCurl = (...args: string[]) => run(buf, ["curl", "--http2-prior-knowledge", "--reflect-protocol", reflectProtocol, ...args]);

  it("lists every service, health and reflection included", async () => {
    const { stdout } = await bufCurl("--list-services", server.url);
    expect(stdout.trim().split("\n")).toEqual(SERVICES);
  });

  it("calls methods described only by reflection", async () => {
    const { stdout } = await bufCurl("-d", '{"latitude": 409146138, "longitude": -746188906}', `${server.url}/routeguide.RouteGuide/GetFeature`);
    expect(JSON.parse(stdout).name).toBe("Berkshire Valley Management Area Trail, Jefferson, NJ, USA");
    const health = await bufCurl("-d", "{}", `${server.url}/grpc.health.v1.Health/Check`);
    expect(JSON.parse(health.stdout)).toEqual({ status: "SERVING" });
  });
});

describe("reflection requests", () => {
  const ask = async (request: Partial<ServerReflectionRequest>) => {
    const client = clientFor(ServerReflection, PROTOCOL_MATRIX[0]!.make(server.url, null));
    const [response] = await collect(client.serverReflectionInfo((async function* () { yield request as ServerReflectionRequest; })()));
    return response!.messageResponse;
  };
  const fileNames = (response: Awaited<ReturnType<typeof ask>>) =>
    response.case === "fileDescriptorResponse" ? response.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name) : response;

  it("finds the file declaring a service, a method or a message, with its imports", async () => {
    expect(fileNames(await ask({ messageRequest: { case: "fileContainingSymbol", value: "routeguide.RouteNotesService" } }))).toEqual([
      "routeguide/route_notes.proto",
      "routeguide/route_guide.proto",
    ]);
    expect(fileNames(await ask({ messageRequest: { case: "fileContainingSymbol", value: "userservice.UserService.Login" } }))).toEqual(["userservice/user_service.proto"]);
    expect(fileNames(await ask({ messageRequest: { case: "fileContainingSymbol", value: "routeguide.Point" } }))).toEqual(["routeguide/route_guide.proto"]);
    expect(fileNames(await ask({ messageRequest: { case: "fileByFilename", value: "grpc/health/v1/health.proto" } }))).toEqual(["grpc/health/v1/health.proto"]);
  });

  it("answers unknown names with a NOT_FOUND error response", async () => {
    const response = await ask({ messageRequest: { case: "fileContainingSymbol", value: "no.Such" } });
    expect(response).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
    expect(await ask({ messageRequest: { case: "allExtensionNumbersOfType", value: "routeguide.Point" } })).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "routeguide.Point", extensionNumber: [] },
    });
  });

  it("answers v1alpha the same way", async () => {
    const client = clientFor(ServerReflectionV1Alpha, PROTOCOL_MATRIX[0]!.make(server.url, null));
    const [response] = await collect(client.serverReflectionInfo((async function* () {
      yield { messageRequest: { case: "listServices", value: "*" } } as never;
    })()));
    expect(response!.messageResponse.case).toBe("listServicesResponse");
  });
});

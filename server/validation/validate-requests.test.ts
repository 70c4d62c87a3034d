import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { PointSchema, RouteGuide } from "../../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../../gen/routeguide/route_notes_pb.js";
import { UserService } from "../../gen/userservice/user_service_pb.js";
import { problemsOf } from "../../validation/field-problems.js";
import { clientFor, collect, PROTOCOL_MATRIX, startTestServer, type TestServer } from "../test-support/test-server.js";

const point = (latitude: number, longitude: number) => create(PointSchema, { latitude, longitude });

// Every protocol with the lean gRPC path on, and gRPC once more through connect-node alone.
const SETUPS = [
  ...PROTOCOL_MATRIX.map((protocol) => ({ ...protocol, grpcFastPath: true })),
  { ...PROTOCOL_MATRIX[0]!, name: `${PROTOCOL_MATRIX[0]!.name} via connect-node`, grpcFastPath: false },
];

describe.each(SETUPS)("request rules over $name", ({ make, grpcFastPath }) => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer({ grpcFastPath })));
  afterAll(() => server.close());
  const clients = () => {
    const transport = make(server.url);
    return { guide: clientFor(RouteGuide, transport), users: clientFor(UserService, transport), notes: clientFor(RouteNotesService, transport) };
  };

  it("unary: INVALID_ARGUMENT naming every broken field, with Violations and BadRequest details; nothing is created", async () => {
    const { users } = clients();
    const error = await users.createUser({ username: "1x", email: "nope", password: "short" }).catch(ConnectError.from);
    expect(error).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage:
        "username: may only contain letters, digits, '_', '.' and '-', and must start with a letter; username: must be at least 3 characters; " +
        "email: must be a valid email address; password: must be at least 8 characters",
    });
    const [violations] = (error as ConnectError).findDetails(ViolationsSchema);
    expect(violations?.violations.map((violation) => [violation.field?.elements.map((element) => element.fieldName).join("."), violation.ruleId])).toEqual([
      ["username", "username.characters"],
      ["username", "string.min_len"],
      ["email", "string.email"],
      ["password", "string.min_len"],
    ]);
    const [badRequest] = (error as ConnectError).findDetails(BadRequestSchema);
    expect(badRequest?.fieldViolations.map(({ field, reason }) => `${field} ${reason}`)).toEqual([
      "username username.characters",
      "username string.min_len",
      "email string.email",
      "password string.min_len",
    ]);
    expect(problemsOf(error)).toContainEqual({ field: "email", message: "must be a valid email address" });
    expect(await server.app.storage.users.findByUsername("1x")).toBeUndefined();
  });

  it("server streaming: the request is refused before the stream starts, with the nested field's path", async () => {
    const { notes } = clients();
    const error = await collect(notes.subscribeNotes({ scope: { case: "area", value: { lo: point(900000001, 0) } } })).catch(ConnectError.from);
    expect(error).toMatchObject({ code: Code.InvalidArgument });
    expect(problemsOf(error)).toEqual([
      { field: "area.lo.latitude", message: "must be between -90 and 90 degrees (±900000000 in E7)" },
      { field: "area.hi", message: "value is required" },
    ]);
    expect(server.app.noteHub.subscriberCount()).toBe(0);
  });

  it("client streaming: the first invalid message ends the call, saying which one it was", async () => {
    const { guide } = clients();
    const error = await guide
      .recordRoute(
        (async function* () {
          yield point(407838351, -746143763);
          yield point(0, 1800000001);
          yield point(0, 0);
        })(),
      )
      .catch(ConnectError.from);
    expect(error).toMatchObject({ code: Code.InvalidArgument, rawMessage: "request 1: longitude: must be between -180 and 180 degrees (±1800000000 in E7)" });
    expect(problemsOf(error)).toHaveLength(1);
  });

  it("client streaming, BatchCreateUsers: invalid requests are reported with their position and the rest go ahead", async () => {
    const { users } = clients();
    const tag = Math.random().toString(36).slice(2, 8);
    const result = await users.batchCreateUsers(
      (async function* () {
        yield { username: `ok${tag}`, email: `ok${tag}@example.com`, password: "long enough" };
        yield { username: `bad${tag}`, email: "", password: "long enough" };
        yield { username: `ok2${tag}`, email: `ok2${tag}@example.com`, password: "long enough" };
      })(),
    );
    expect(result).toMatchObject({ created: 2, errors: ["request 1: email: value is required"] });
  });
});

// Bidi calls need HTTP/2 request streaming: the setups that have it.
describe.each(SETUPS.filter((setup) => setup.bidi))("request rules on a bidi stream over $name", ({ make, grpcFastPath }) => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer({ grpcFastPath })));
  afterAll(() => server.close());

  it("bidi streaming: a note that breaks the rules ends RouteChat, and is not stored", async () => {
    const guide = clientFor(RouteGuide, make(server.url));
    const error = await collect(
      guide.routeChat(
        (async function* () {
          yield { location: point(1, 2), message: "   " };
        })(),
      ),
    ).catch(ConnectError.from);
    expect(error).toMatchObject({ code: Code.InvalidArgument, rawMessage: "request 0: message: must not be empty" });
    expect(problemsOf(error)).toEqual([{ field: "message", message: "must not be empty" }]);
    expect(await server.app.storage.notes.latestId()).toBe(0n);
  });
});

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_TOKEN, type TestServer } from "../test-support/test-server.js";

const run = promisify(execFile);
const buf = new URL("../../node_modules/.bin/buf", import.meta.url).pathname;
const schema = new URL("../../proto", import.meta.url).pathname;

let server: TestServer;
beforeAll(async () => (server = await startTestServer()));
afterAll(() => server.close());

function bufCurl(protocol: string, method: string, data: object, extra: string[] = []) {
  return run(buf, ["curl", "--protocol", protocol, ...extra, "-H", `authorization: Bearer ${TEST_TOKEN}`, "--schema", schema, "-d", JSON.stringify(data), `${server.url}/${method}`]);
}

describe.each([
  { protocol: "grpc", extra: ["--http2-prior-knowledge"] },
  { protocol: "grpcweb", extra: [] },
  { protocol: "grpcweb", extra: ["--http2-prior-knowledge"] },
  { protocol: "connect", extra: [] },
  { protocol: "connect", extra: ["--http2-prior-knowledge"] },
])("buf curl --protocol $protocol $extra", ({ protocol, extra }) => {
  it("calls unary and server-streaming methods", async () => {
    const { stdout } = await bufCurl(protocol, "routeguide.RouteGuide/GetFeature", { latitude: 409146138, longitude: -746188906 }, extra);
    expect(JSON.parse(stdout).name).toBe("Berkshire Valley Management Area Trail, Jefferson, NJ, USA");
    const stream = await bufCurl(protocol, "routeguide.RouteGuide/ListFeatures", { lo: { latitude: 407838351, longitude: -746143763 }, hi: { latitude: 407838351, longitude: -746143763 } }, extra);
    expect(JSON.parse(stream.stdout).name).toBe("Patriots Path, Mendham, NJ 07945, USA");
  });

  it("reports errors with their code and message", async () => {
    const failure = await bufCurl(protocol, "userservice.UserService/GetUser", { id: "nobody" }, extra).catch((e) => e);
    expect(failure.stderr).toContain("not_found");
    expect(failure.stderr).toContain('user \\"nobody\\" not found');
  });

  it("shows the broken rules of an invalid request, decoded from the buf.validate.Violations detail", async () => {
    const failure = await bufCurl(protocol, "userservice.UserService/CreateUser", { username: "ada", email: "not-an-email", password: "long enough" }, extra).catch((e) => e);
    const error = JSON.parse(failure.stderr);
    expect(error).toMatchObject({ code: "invalid_argument", message: "email: must be a valid email address" });
    const violations = error.details.find((detail: { type: string }) => detail.type === "buf.validate.Violations");
    expect(violations.debug.violations).toEqual([expect.objectContaining({ ruleId: "string.email", message: "must be a valid email address" })]);
    expect(error.details.map((detail: { type: string }) => detail.type)).toContain("google.rpc.BadRequest");
  });
});

import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserService } from "../../gen/userservice/user_service_pb.js";
import { openEmbeddedStorage } from "../storage/open-storage.js";
import type { Storage } from "../storage/storage.js";
import { clientFor, collect, PROTOCOL_MATRIX, startTestServer, type TestServer } from "../test-support/test-server.js";

const secret = "SQLITE_IOERR at /var/lib/secret/app.db";
const reported: unknown[] = [];
let server: TestServer;

beforeAll(async () => {
  const real = openEmbeddedStorage("sqlite::memory:");
  const broken: Storage = {
    ...real,
    users: {
      ...real.users,
      get: async () => {
        throw new Error(secret);
      },
      list: async () => {
        throw new Error(secret);
      },
    },
  };
  server = await startTestServer({ storage: broken, reportError: (error) => reported.push(error) });
});
afterAll(() => server.close());

describe.each(PROTOCOL_MATRIX)("a server fault over $name", (protocol) => {
  it("reaches the client as INTERNAL without its details, and the server keeps the cause", async () => {
    const users = clientFor(UserService, protocol.make(server.url));
    reported.length = 0;
    for (const call of [() => users.getUser({ id: "x" }), () => collect(users.listUsers({}))]) {
      const error = await call().then(() => undefined, ConnectError.from);
      expect(error?.code).toBe(Code.Internal);
      expect(error?.rawMessage).toBe("internal server error");
      expect(JSON.stringify(error?.metadata) + String(error?.message)).not.toContain("secret");
    }
    expect(reported.map((e) => (e as Error).message)).toEqual([secret, secret]);
  });
});

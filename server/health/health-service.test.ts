import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import type { App } from "../app.js";
import { clientFor, createTestApp, eventually, inMemoryTransport } from "../test-support/test-server.js";

let app: App;
let health: ReturnType<typeof clientFor<typeof Health>>;
beforeEach(() => {
  app = createTestApp();
  health = clientFor(Health, inMemoryTransport(app, undefined));
});
afterEach(() => app.close());

describe("grpc.health.v1.Health", () => {
  it.each(["", "routeguide.RouteGuide", "userservice.UserService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"])(
    "Check(%j) is SERVING without a token",
    async (service) => {
      expect((await health.check({ service })).status).toBe(Status.SERVING);
    },
  );

  it("Check of an unknown service is NOT_FOUND", async () => {
    await expect(health.check({ service: "nope.Nope" })).rejects.toMatchObject({ code: Code.NotFound });
  });

  it("Watch streams the status, then NOT_SERVING when shutdown begins, then ends with UNAVAILABLE", async () => {
    const seen: Status[] = [];
    const ended = (async () => {
      for await (const response of health.watch({ service: "" })) seen.push(response.status);
    })().catch(ConnectError.from);
    await eventually(() => seen.length === 1);
    app.beginShutdown();
    const error = await ended;
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
    expect(error).toMatchObject({ code: Code.Unavailable, rawMessage: expect.stringContaining("shutting down") });
    expect((await health.check({ service: "userservice.UserService" })).status).toBe(Status.NOT_SERVING);
  });

  it("Watch of an unknown service answers SERVICE_UNKNOWN instead of failing", async () => {
    const controller = new AbortController();
    for await (const response of health.watch({ service: "nope.Nope" }, { signal: controller.signal })) {
      expect(response.status).toBe(Status.SERVICE_UNKNOWN);
      break;
    }
  });
});

import http2 from "node:http2";
import { createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { createGrpcFastPath } from "./grpc-fast-path.js";
import { listenOnePort, type OnePortServer } from "./one-port-server.js";

// A Health service that records what its handler sees of the deadline.
const seen: (number | undefined)[] = [];
const routes = (router: import("@connectrpc/connect").ConnectRouter) =>
  router.service(Health, {
    check(_request, context) {
      seen.push(context.timeoutMs());
      return { status: HealthCheckResponse_ServingStatus.SERVING };
    },
  });

const servers: OnePortServer[] = [];
afterAll(() => Promise.all(servers.map((server) => server.close(100))));

async function serve(fastPath: boolean): Promise<OnePortServer> {
  const server = await listenOnePort({
    port: 0,
    handler: connectNodeAdapter({ routes }),
    claimStream: fastPath ? createGrpcFastPath({ routes, contextValues: () => createContextValues() }) : undefined,
  });
  servers.push(server);
  return server;
}

/** One Health/Check over raw HTTP/2 with the given grpc-timeout header. */
async function checkWithTimeout(url: string, grpcTimeout: string): Promise<void> {
  const session = http2.connect(url);
  const stream = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc", te: "trailers", "grpc-timeout": grpcTimeout });
  stream.end(Buffer.from([0, 0, 0, 0, 0]));
  stream.resume();
  await new Promise((resolve) => stream.once("close", resolve));
  session.close();
}

describe.each([
  { name: "the lean gRPC path", fastPath: true },
  { name: "connect-node", fastPath: false },
])("a grpc-timeout in microseconds on $name", ({ fastPath }) => {
  it("reaches the handler as whole milliseconds", async () => {
    const server = await serve(fastPath);
    seen.length = 0;
    await checkWithTimeout(server.url, "1500500u"); // 1,500.5 ms, as a Go client may send it
    expect(seen).toHaveLength(1);
    expect(Number.isInteger(seen[0])).toBe(true);
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[0]).toBeLessThanOrEqual(1_500);
  });
});

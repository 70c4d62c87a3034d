import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { RouteGuide } from "../../../gen/routeguide/route_guide_pb";
import { sendTraceContext } from "./trace-context";

describe("sendTraceContext", () => {
  it("sends a new W3C traceparent with every call", async () => {
    const seen: string[] = [];
    const transport = createRouterTransport(
      (router) => router.service(RouteGuide, { getFeature: (_point, context) => (seen.push(context.requestHeader.get("traceparent") ?? ""), {}) }),
      { transport: { interceptors: [sendTraceContext()] } },
    );
    const client = createClient(RouteGuide, transport);
    await client.getFeature({});
    await client.getFeature({});
    for (const value of seen) expect(value).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(seen[0]).not.toBe(seen[1]);
  });
});

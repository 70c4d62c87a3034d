import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createCallSeries } from "./call-series.js";

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300];

/** The same metrics made with prom-client's own Counter and Histogram: what call-series must expose. */
function promClientSeries() {
  const registry = new Registry();
  const calls = new Counter({ name: "rpc_calls_total", help: "Completed calls by method, protocol and status code.", labelNames: ["method", "protocol", "code"], registers: [registry] });
  const duration = new Histogram({
    name: "rpc_duration_seconds",
    help: "Call duration from request to final status, in seconds.",
    labelNames: ["method", "protocol"],
    buckets: BUCKETS,
    registers: [registry],
  });
  return {
    registry,
    record(method: string, protocol: string, code: string, seconds: number) {
      calls.inc({ method, protocol, code });
      duration.observe({ method, protocol }, seconds);
    },
  };
}

function ours() {
  const registry = new Registry();
  return { registry, ...createCallSeries({ registry, buckets: BUCKETS }) };
}

/** The exposition's lines, sorted: Prometheus reads series in any order, and prom-client orders counters by first use. */
async function lines(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split("\n").sort();
}

const CALLS: [string, string, string, number][] = [
  ["routeguide.RouteGuide/GetFeature", "grpc", "OK", 0.0004],
  ["routeguide.RouteGuide/GetFeature", "grpc", "OK", 0.001], // on a bound: counted in it
  ["userservice.UserService/GetUser", "connect", "NOT_FOUND", 0.0123],
  ["routeguide.RouteGuide/GetFeature", "grpc", "INVALID_ARGUMENT", 0.3],
  ["routeguide.RouteGuide/GetFeature", "grpc-web", "OK", 301], // above every bound: only in +Inf
  ['odd "name"\\with\nescapes', "connect", "OK", 0],
  ["routeguide.RouteGuide/ListFeatures", "grpc", "OK", 2.5],
];

describe("call series", () => {
  it("exposes what prom-client's Counter and Histogram expose for the same calls, line for line", async () => {
    const reference = promClientSeries();
    const series = ours();
    expect(await lines(series.registry)).toEqual(await lines(reference.registry));
    for (const call of CALLS) {
      reference.record(...call);
      series.record(...call);
    }
    expect(await lines(series.registry)).toEqual(await lines(reference.registry));
    expect(await series.registry.getMetricsAsJSON()).toHaveLength(2);
  });

  it("is emptied by resetMetrics, as prom-client's are, and counts again after", async () => {
    const reference = promClientSeries();
    const series = ours();
    for (const call of CALLS) {
      reference.record(...call);
      series.record(...call);
    }
    reference.registry.resetMetrics();
    series.registry.resetMetrics();
    expect(await lines(series.registry)).toEqual(await lines(reference.registry));
    reference.record(...(CALLS[2] as [string, string, string, number]));
    series.record(...(CALLS[2] as [string, string, string, number]));
    expect(await lines(series.registry)).toEqual(await lines(reference.registry));
  });
});

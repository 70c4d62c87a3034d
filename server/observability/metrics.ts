import { collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { createCallSeries } from "./call-series.js";

/** The server's Prometheus metrics, served at GET /metrics. */
export interface Metrics {
  readonly registry: Registry;
  recordCall(labels: { method: string; protocol: string; code: string }, seconds: number): void;
  streamOpened(method: string): void;
  streamClosed(method: string): void;
  /** One live event handed to every local subscriber of a hub (time-deliveries.ts). */
  recordDelivery(hub: string, seconds: number): void;
}

export interface MetricsOptions {
  /** Subscriber counts of the live hubs, read at each scrape, by hub name. */
  hubSubscribers?: Record<string, () => number>;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const calls = createCallSeries({ registry, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300] });
  const openStreams = new Gauge({
    name: "rpc_open_streams",
    help: "Streaming calls currently open, by method.",
    labelNames: ["method"],
    registers: [registry],
  });
  const hubs = Object.entries(options.hubSubscribers ?? {});
  new Gauge({
    name: "hub_subscribers",
    help: "Streams subscribed to each live hub (route notes, chat).",
    labelNames: ["hub"],
    registers: [registry],
    collect() {
      for (const [hub, read] of hubs) this.set({ hub }, read());
    },
  });

  const deliveries = new Histogram({
    name: "hub_delivery_seconds",
    help: "Per live event: from its first local subscriber to the writes of all of them handed to the sockets, by hub.",
    labelNames: ["hub"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  return {
    registry,
    recordCall: ({ method, protocol, code }, seconds) => calls.record(method, protocol, code, seconds),
    streamOpened: (method) => openStreams.inc({ method }),
    streamClosed: (method) => openStreams.dec({ method }),
    recordDelivery: (hub, seconds) => deliveries.observe({ hub }, seconds),
  };
}

import type { Registry } from "prom-client";

/**
 * rpc_calls_total (a counter by method, protocol and code) and rpc_duration_seconds (a histogram
 * by method and protocol), counted in plain numbers per label set and handed to prom-client's
 * registry only when it is scraped.
 *
 * Why not prom-client's Counter and Histogram directly: each update, even through a child made
 * by `labels()`, hashes and checks the label object again: the two updates per call cost
 * 0.6 µs in isolation and 3–4% of a GetFeature's busy time in the server's profile, against
 * 0.025 µs here (bench/RESULTS.md, issue 13, third stop). A call finds its series through two
 * map lookups and adds to an array. The exposition is prom-client's own format, line for line
 * (call-series.test.ts compares it with prom-client's Counter and Histogram fed the same calls).
 */
export interface CallSeries {
  record(method: string, protocol: string, code: string, seconds: number): void;
}

export interface CallSeriesOptions {
  registry: Registry;
  /** Histogram bucket upper bounds in seconds, ascending. */
  buckets: readonly number[];
}

interface Series {
  labels: { method: string; protocol: string };
  /** Observations per bucket (not cumulative), then the ones above the last bound. */
  buckets: number[];
  sum: number;
  count: number;
  codes: Map<string, number>;
}

/** What prom-client's registry reads of a metric (see its Registry.getMetricsAsString). */
interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

export function createCallSeries(options: CallSeriesOptions): CallSeries {
  const bounds = [...options.buckets];
  const byMethod = new Map<string, Map<string, Series>>();
  const all: Series[] = [];

  const seriesOf = (method: string, protocol: string): Series => {
    let byProtocol = byMethod.get(method);
    if (byProtocol === undefined) byMethod.set(method, (byProtocol = new Map()));
    let series = byProtocol.get(protocol);
    if (series === undefined) {
      series = { labels: { method, protocol }, buckets: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0, codes: new Map() };
      byProtocol.set(protocol, series);
      all.push(series);
    }
    return series;
  };

  registerMetric(options.registry, {
    name: "rpc_calls_total",
    help: "Completed calls by method, protocol and status code.",
    type: "counter",
    values: () =>
      all.flatMap((series) => [...series.codes].map(([code, count]) => ({ labels: { ...series.labels, code }, value: count }))),
    reset: () => all.forEach((series) => series.codes.clear()),
  });
  registerMetric(options.registry, {
    name: "rpc_duration_seconds",
    help: "Call duration from request to final status, in seconds.",
    type: "histogram",
    // A series shows once observed, and not after a reset until observed again, as in prom-client.
    values: () =>
      all.flatMap((series) => {
        if (series.count === 0) return [];
        const values: MetricValue[] = [];
        let cumulative = 0;
        bounds.forEach((bound, i) => {
          cumulative += series.buckets[i] as number;
          values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: "rpc_duration_seconds_bucket" });
        });
        values.push({ labels: { le: "+Inf", ...series.labels }, value: series.count, metricName: "rpc_duration_seconds_bucket" });
        values.push({ labels: series.labels, value: series.sum, metricName: "rpc_duration_seconds_sum" });
        values.push({ labels: series.labels, value: series.count, metricName: "rpc_duration_seconds_count" });
        return values;
      }),
    reset: () =>
      all.forEach((series) => {
        series.buckets.fill(0);
        series.sum = 0;
        series.count = 0;
      }),
  });

  return {
    record(method, protocol, code, seconds) {
      const series = seriesOf(method, protocol);
      series.codes.set(code, (series.codes.get(code) ?? 0) + 1);
      let i = 0;
      while (i < bounds.length && seconds > (bounds[i] as number)) i++;
      (series.buckets[i] as number)++;
      series.sum += seconds;
      series.count++;
    },
  };
}

/**
 * A metric as prom-client's registry takes one: a name, `get()` for the scrape and the JSON
 * view, `reset()` for resetMetrics().
 */
function registerMetric(registry: Registry, metric: { name: string; help: string; type: "counter" | "histogram"; values(): MetricValue[]; reset(): void }): void {
  registry.registerMetric({
    name: metric.name,
    help: metric.help,
    type: metric.type,
    aggregator: "sum",
    get: async () => ({ name: metric.name, help: metric.help, type: metric.type, values: metric.values(), aggregator: "sum" }),
    reset: metric.reset,
  } as unknown as Parameters<Registry["registerMetric"]>[0]);
}

import { trace, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";

/** The name the server's spans and its tracer carry unless OTEL_SERVICE_NAME says otherwise. */
export const DEFAULT_SERVICE_NAME = "grpc-browser-app";

export interface Tracing {
  tracer: Tracer;
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing when the standard variables ask for it: OTEL_TRACES_EXPORTER=otlp,
 * or an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), unless
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Spans go to the OTLP/HTTP (JSON) exporter,
 * which reads the rest (headers, timeouts) from the OTEL_EXPORTER_OTLP_* variables itself.
 * Returns undefined when tracing is off: then no tracing code runs on any call.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  const exporter = (env.OTEL_TRACES_EXPORTER ?? "").trim();
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (env.OTEL_SDK_DISABLED === "true" || exporter === "none") return undefined;
  if (exporter !== "otlp" && !endpoint) return undefined;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || DEFAULT_SERVICE_NAME }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Global tracer provider, AsyncLocalStorage context and the W3C traceparent propagator.
  provider.register();
  return { tracer: trace.getTracer(DEFAULT_SERVICE_NAME), shutdown: () => provider.shutdown() };
}

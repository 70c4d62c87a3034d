import { SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { LiveHub } from "../hub/live-hub.js";
import type { Storage } from "../storage/storage.js";

/**
 * Storage whose every call is a client span (db.* conventions) under the active call's span:
 * "users.get", "route_notes.add", ... Used only when tracing is on.
 */
export function traceStorage(storage: Storage, tracer: Tracer): Storage {
  const spans = (collection: string) => (operation: string): SpanSpec => ({
    name: `${collection}.${operation}`,
    kind: SpanKind.CLIENT,
    attributes: { "db.system.name": storage.engine, "db.collection.name": collection, "db.operation.name": operation },
  });
  return {
    engine: storage.engine,
    users: traceMethods(storage.users, spans("users"), tracer),
    notes: traceMethods(storage.notes, spans("route_notes"), tracer),
    check: () => storage.check(),
    close: () => storage.close(),
  };
}

/** A hub whose publish is a producer span ("notes publish"); delivery is not traced. */
export function traceHub<T>(hub: LiveHub<T>, name: string, tracer: Tracer): LiveHub<T> {
  return {
    ...hub,
    publish: (event) => inSpan(tracer, { name: `${name} publish`, kind: SpanKind.PRODUCER, attributes: { "messaging.destination.name": name, "messaging.operation.type": "send" } }, () => hub.publish(event)),
  };
}

interface SpanSpec {
  name: string;
  kind?: SpanKind;
  attributes: Record<string, string>;
}

function traceMethods<T extends object>(target: T, spec: (operation: string) => SpanSpec, tracer: Tracer): T {
  const traced = {} as Record<string, unknown>;
  for (const key of Object.keys(target) as (keyof T & string)[]) {
    const method = target[key];
    traced[key] = typeof method === "function" ? (...args: unknown[]) => inSpan(tracer, spec(key), () => method.apply(target, args)) : method;
  }
  return traced as T;
}

async function inSpan<R>(tracer: Tracer, spec: SpanSpec, work: () => Promise<R>): Promise<R> {
  return tracer.startActiveSpan(spec.name, { kind: spec.kind, attributes: spec.attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

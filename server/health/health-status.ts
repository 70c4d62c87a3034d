import { HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

export { ServingStatus };

/** Serving status of the whole server ("") and of each service, with change notifications. */
export interface HealthStatus {
  /** The status, or undefined for a service this server does not know. */
  get(service: string): ServingStatus | undefined;
  /** Sets every known service, the server ("") included. */
  setAll(status: ServingStatus): void;
  /** Calls `listener` on every change of `service`; returns the function that stops it. */
  watch(service: string, listener: (status: ServingStatus) => void): () => void;
}

/** Everything starts SERVING. */
export function createHealthStatus(serviceNames: readonly string[]): HealthStatus {
  const statuses = new Map<string, ServingStatus>(["", ...serviceNames].map((name) => [name, ServingStatus.SERVING]));
  const listeners = new Set<{ service: string; listener: (status: ServingStatus) => void }>();
  return {
    get: (service) => statuses.get(service),
    setAll(status) {
      for (const [service, previous] of statuses) {
        if (previous === status) continue;
        statuses.set(service, status);
        for (const entry of [...listeners]) if (entry.service === service) entry.listener(status);
      }
    },
    watch(service, listener) {
      const entry = { service, listener };
      listeners.add(entry);
      return () => void listeners.delete(entry);
    },
  };
}

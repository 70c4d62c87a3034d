import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, type HealthCheckResponse, HealthCheckResponseSchema } from "../../gen/grpc/health/v1/health_pb.js";
import { streamUntilDone } from "../lib/handler-streams.js";
import { type HealthStatus, ServingStatus } from "./health-status.js";

/** grpc.health.v1.Health, as specified in grpc/grpc's doc/health-checking.md. */
export function createHealthService(health: HealthStatus): ServiceImpl<typeof Health> {
  const response = (status: ServingStatus) => create(HealthCheckResponseSchema, { status });
  return {
    check({ service }) {
      const status = health.get(service);
      if (status === undefined) throw new ConnectError(`unknown service "${service}"`, Code.NotFound);
      return response(status);
    },

    /** Unknown services are answered SERVICE_UNKNOWN, not an error, as the protocol asks. */
    watch({ service }, context) {
      return streamUntilDone<HealthCheckResponse>(context, (outgoing) => {
        outgoing.push(response(health.get(service) ?? ServingStatus.SERVICE_UNKNOWN));
        return health.watch(service, (status) => outgoing.push(response(status)));
      });
    },
  };
}

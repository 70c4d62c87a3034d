import { readFileSync } from "node:fs";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { RouteGuide } from "../gen/routeguide/route_guide_pb.js";
import { RouteNotesService } from "../gen/routeguide/route_notes_pb.js";
import { ChatRoomService } from "../gen/userservice/chat_room_pb.js";
import { UserService } from "../gen/userservice/user_service_pb.js";
import { readConfig } from "../server/config.js";
import { type EnvoySchema, loadEnvoySchema } from "./envoy-schema.js";

const text = readFileSync(new URL("../envoy.yaml", import.meta.url), "utf8");
const config = parse(text);
let schema: EnvoySchema;
beforeAll(() => {
  schema = loadEnvoySchema();
}, 30_000);

// The parts the assertions look at.
const hcm = config.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const virtualHost = hcm.route_config.virtual_hosts[0];
const routes: any[] = virtualHost.routes;
const cluster = config.static_resources.clusters[0];
const seconds = (duration: string) => Number(duration.replace(/s$/, ""));

/** The first route whose match takes the path, as Envoy picks it. */
function routeFor(path: string): any {
  return routes.find((route) => (route.match.path !== undefined ? route.match.path === path : path.startsWith(route.match.prefix)));
}

const publicServices = [RouteGuide, RouteNotesService, UserService, ChatRoomService];
const methods = publicServices.flatMap((service) => service.methods.map((method) => ({ path: `/${service.typeName}/${method.name}`, method })));

describe("envoy.yaml against Envoy's v3 API", () => {
  it("is valid: every field, enum value and typed_config", () => {
    expect(schema.validate(config)).toEqual([]);
  });

  it("rejects what Envoy would reject: a misspelt field, an unknown enum value, a wrong field inside a typed_config, a bad duration, a deprecated field", () => {
    const broken = (from: string, to: string) => {
      expect(text).toContain(from);
      return schema.validate(parse(text.replace(from, to)));
    };
    expect(broken("stream_idle_timeout: 60s", "stream_idle_timout: 60s")).toEqual([expect.stringMatching(/stream_idle_timout: unknown field of .*HttpConnectionManager/)]);
    expect(broken("lb_policy: LEAST_REQUEST", "lb_policy: LEAST_REQUESTS")).toEqual([expect.stringMatching(/lb_policy: "LEAST_REQUESTS" is not a value/)]);
    expect(broken("allow_origin_string_match:", "allow_origin:")).toEqual([expect.stringMatching(/allow_origin: unknown field of envoy.extensions.filters.http.cors.v3.CorsPolicy/)]);
    expect(broken("interval: 2s", "interval: 2 seconds")).toEqual([expect.stringMatching(/interval: expected a duration/)]);
    expect(broken("Router\n", "Routr\n")).toEqual([expect.stringMatching(/Routr is not a message of Envoy's API/)]);
    expect(broken("domains: [\"*\"]", "domains: [\"*\"]\n                      cors: {}")).toEqual([expect.stringMatching(/cors: deprecated field/)]);
  });
});

describe("envoy.yaml does what production needs", () => {
  it("listens for HTTP/1.1 and HTTP/2, bounds slow headers, keeps idle streams above the heartbeat, never times whole requests", () => {
    expect(hcm.codec_type).toBe("AUTO");
    expect(seconds(hcm.request_headers_timeout)).toBeGreaterThan(0);
    // Finite, and above the 15 s heartbeat of SubscribeNotes.
    expect(seconds(hcm.stream_idle_timeout)).toBeGreaterThan(15);
    expect(hcm.request_timeout).toBeUndefined();
    expect(JSON.stringify(hcm.access_log)).toContain("%GRPC_STATUS%");
  });

  it("applies CORS with a policy on the virtual host that lets browsers read statuses and error details", () => {
    const filters = hcm.http_filters.map((filter: any) => filter.name);
    expect(filters).toEqual(["envoy.filters.http.cors", "envoy.filters.http.router"]);
    const policy = virtualHost.typed_per_filter_config["envoy.filters.http.cors"];
    expect(policy["@type"]).toMatch(/cors\.v3\.CorsPolicy$/);
    const exposed = policy.expose_headers.split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(["grpc-status", "grpc-message", "grpc-status-details-bin"]));
    const allowed = policy.allow_headers.split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["content-type", "connect-protocol-version", "connect-timeout-ms", "grpc-timeout", "x-grpc-web", "authorization"]));
    for (const matcher of policy.allow_origin_string_match) expect(Object.keys(matcher)).toEqual(["exact"]);
  });

  it("never cuts a streaming method, and times every unary method", () => {
    const streaming = methods.filter(({ method }) => method.methodKind !== "unary");
    expect(streaming.length).toBeGreaterThanOrEqual(8);
    for (const { path } of streaming) {
      const route = routeFor(path).route;
      expect(route, path).toBeDefined();
      expect(route.timeout, path).toBe("0s");
      expect(route.max_stream_duration?.grpc_timeout_header_max, path).toBe("0s");
    }
    for (const { path } of methods.filter(({ method }) => method.methodKind === "unary")) {
      expect(seconds(routeFor(path).route.timeout), path).toBeGreaterThan(0);
    }
  });

  it("retries only methods declared without side effects, on another replica", () => {
    for (const { path, method } of methods) {
      const policy = routeFor(path).route?.retry_policy;
      const idempotent = method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
      if (!idempotent) {
        expect(policy, `${path} has side effects and must not be retried`).toBeUndefined();
        continue;
      }
      expect(policy.retry_on.split(",")).toEqual(expect.arrayContaining(["unavailable", "reset", "connect-failure", "refused-stream"]));
      expect(policy.retry_host_predicate[0].name).toBe("envoy.retry_host_predicates.previous_hosts");
    }
    expect(methods.filter(({ method }) => method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS).length).toBeGreaterThan(0);
  });

  it("does not route health, reflection or metrics to the replicas", () => {
    for (const path of ["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "/metrics"]) {
      const route = routeFor(path);
      expect(route.route, path).toBeUndefined();
      expect(route.direct_response.status, path).toBe(404);
    }
    expect(routeFor("/").route.cluster).toBe("app");
  });

  it("reaches every replica over h2c, checks their gRPC health, ejects failing ones and has room for many open streams", () => {
    expect(cluster.type).toBe("STRICT_DNS");
    const protocol = cluster.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
    expect(protocol.explicit_http_config.http2_protocol_options).toBeDefined();
    const check = cluster.health_checks[0];
    expect(check.grpc_health_check).toBeDefined();
    // A replica on SIGTERM reports NOT_SERVING for SHUTDOWN_DELAY_MS before ending streams: Envoy
    // must have seen it fail unhealthy_threshold checks by then.
    const takenOutMs = (seconds(check.interval) * check.unhealthy_threshold + seconds(check.timeout)) * 1000;
    expect(readConfig({}).shutdownDelayMs).toBeGreaterThan(takenOutMs);
    expect(cluster.outlier_detection.split_external_local_origin_errors).toBe(true);
    expect(cluster.circuit_breakers.thresholds[0].max_requests).toBeGreaterThanOrEqual(10_000);
  });
});

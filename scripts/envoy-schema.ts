import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import protobuf from "protobufjs";

/**
 * Checks an Envoy configuration against Envoy's own v3 API protos (shipped in
 * @grpc/grpc-js-xds under deps/), as strictly as Envoy's loader: every field must exist in its
 * message, enums must name a value, scalars and well-known types must have the right shape,
 * and every typed_config is checked against the message its "@type" names. Deprecated fields
 * and PGV `required` messages are reported too. Envoy itself cannot be installed here.
 */
const require = createRequire(import.meta.url);
const DEPS = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
// protobufjs's own folder last, for google/protobuf/descriptor.proto.
const INCLUDE_DIRS = [...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((dir) => join(DEPS, dir)), dirname(require.resolve("protobufjs/package.json"))];

export interface EnvoySchema {
  /** Problems found, each with its path in the document, e.g. "static_resources.clusters[0].lb_policy: ...". */
  validate(config: unknown, typeName?: string): string[];
}

export function loadEnvoySchema(): EnvoySchema {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of INCLUDE_DIRS) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target; // protobufjs's built-in google/protobuf/*.proto
  };
  const loaded = new Set<string>();
  const loadPackageOf = (typeName: string): void => {
    // envoy.extensions.filters.http.cors.v3.CorsPolicy -> envoy/extensions/filters/http/cors/v3/*.proto
    const dir = typeName.split(".").slice(0, -1).join("/");
    if (loaded.has(dir)) return;
    loaded.add(dir);
    for (const include of INCLUDE_DIRS) {
      const full = join(include, dir);
      if (!existsSync(full)) continue;
      const files = readdirSync(full).filter((name) => name.endsWith(".proto")).map((name) => join(dir, name));
      root.loadSync(files, { keepCase: true });
    }
  };
  const lookup = (typeName: string): protobuf.Type | undefined => {
    let found = root.lookup(typeName);
    if (found === null) {
      loadPackageOf(typeName);
      found = root.lookup(typeName);
    }
    if (!(found instanceof protobuf.Type)) return undefined;
    found.resolveAll();
    return found;
  };
  loadPackageOf("envoy.config.bootstrap.v3.Bootstrap");

  return {
    validate(config, typeName = "envoy.config.bootstrap.v3.Bootstrap") {
      const errors: string[] = [];
      const type = lookup(typeName);
      if (type === undefined) return [`unknown type ${typeName}`];
      checkMessage(type, config, "", errors, lookup);
      return errors;
    },
  };
}

type Lookup = (typeName: string) => protobuf.Type | undefined;

const DURATION = /^-?\d+(\.\d{1,9})?s$/;

function checkMessage(type: protobuf.Type, value: unknown, path: string, errors: string[], lookup: Lookup): void {
  const here = path === "" ? "(root)" : path;
  if (checkWellKnown(type.fullName.slice(1), value, here, errors, lookup)) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    errors.push(`${here}: expected a ${type.name} message, got ${JSON.stringify(value)}`);
    return;
  }
  const oneofsSet = new Map<string, string>();
  for (const [key, item] of Object.entries(value)) {
    const field = type.fields[key] ?? Object.values(type.fields).find((candidate) => candidate.options?.json_name === key || camel(candidate.name) === key);
    const at = path === "" ? key : `${path}.${key}`;
    if (field === undefined) {
      errors.push(`${at}: unknown field of ${type.fullName.slice(1)}`);
      continue;
    }
    if (field.options?.deprecated === true) errors.push(`${at}: deprecated field of ${type.fullName.slice(1)}`);
    if (field.partOf !== null && field.partOf !== undefined) {
      const other = oneofsSet.get(field.partOf.name);
      if (other !== undefined) errors.push(`${at}: oneof ${field.partOf.name} already set by ${other}`);
      oneofsSet.set(field.partOf.name, key);
    }
    if (field instanceof protobuf.MapField) {
      if (typeof item !== "object" || item === null || Array.isArray(item)) errors.push(`${at}: expected a map`);
      else for (const [k, v] of Object.entries(item)) checkValue(field, v, `${at}.${k}`, errors, lookup);
    } else if (field.repeated) {
      if (!Array.isArray(item)) errors.push(`${at}: expected a list`);
      else item.forEach((element, i) => checkValue(field, element, `${at}[${i}]`, errors, lookup));
    } else {
      checkValue(field, item, at, errors, lookup);
    }
  }
  for (const field of Object.values(type.fields)) {
    // Inside a oneof, `required` only applies to the member chosen (checked when present).
    const required = field.options?.["(validate.rules).message.required"] === true && (field.partOf === null || field.partOf === undefined);
    if (required && !(field.name in value) && !(camel(field.name) in value)) errors.push(`${here}: ${field.name} is required in ${type.fullName.slice(1)}`);
  }
}

function checkValue(field: protobuf.Field, value: unknown, path: string, errors: string[], lookup: Lookup): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (!(typeof value === "string" && value in resolved.values) && !(typeof value === "number" && Object.values(resolved.values).includes(value))) {
      errors.push(`${path}: ${JSON.stringify(value)} is not a value of ${resolved.fullName.slice(1)} (${Object.keys(resolved.values).join(", ")})`);
    }
    return;
  }
  if (resolved instanceof protobuf.Type) {
    checkMessage(resolved, value, path, errors, lookup);
    return;
  }
  if (!scalarFits(field.type, value)) errors.push(`${path}: expected ${field.type}, got ${JSON.stringify(value)}`);
}

function scalarFits(type: string, value: unknown): boolean {
  switch (type) {
    case "string":
    case "bytes":
      return typeof value === "string";
    case "bool":
      return typeof value === "boolean";
    case "double":
    case "float":
      return typeof value === "number";
    case "int64":
    case "uint64":
    case "sint64":
    case "fixed64":
    case "sfixed64":
      return (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^-?\d+$/.test(value));
    default:
      return typeof value === "number" && Number.isInteger(value) && (!type.startsWith("u") || value >= 0);
  }
}

/** The JSON forms of the well-known types Envoy's configuration uses; false if `typeName` is not one. */
function checkWellKnown(typeName: string, value: unknown, path: string, errors: string[], lookup: Lookup): boolean {
  const expect = (ok: boolean, what: string) => {
    if (!ok) errors.push(`${path}: expected ${what}, got ${JSON.stringify(value)}`);
    return true;
  };
  switch (typeName) {
    case "google.protobuf.Duration":
      return expect(typeof value === "string" && DURATION.test(value), 'a duration such as "5s" or "0.25s"');
    case "google.protobuf.Timestamp":
      return expect(typeof value === "string", "an RFC 3339 time");
    case "google.protobuf.BoolValue":
      return expect(typeof value === "boolean", "a boolean");
    case "google.protobuf.StringValue":
    case "google.protobuf.BytesValue":
      return expect(typeof value === "string", "a string");
    case "google.protobuf.DoubleValue":
    case "google.protobuf.FloatValue":
      return expect(typeof value === "number", "a number");
    case "google.protobuf.UInt32Value":
    case "google.protobuf.Int32Value":
    case "google.protobuf.UInt64Value":
    case "google.protobuf.Int64Value":
      return expect(scalarFits(typeName.includes("64") ? "int64" : "int32", value), "an integer");
    case "google.protobuf.Struct":
      return expect(typeof value === "object" && value !== null && !Array.isArray(value), "an object");
    case "google.protobuf.Value":
      return true;
    case "google.protobuf.ListValue":
      return expect(Array.isArray(value), "a list");
    case "google.protobuf.Empty":
      return expect(typeof value === "object" && value !== null && Object.keys(value).length === 0, "{}");
    case "google.protobuf.Any": {
      if (typeof value !== "object" || value === null) return expect(false, 'an object with "@type"');
      const { "@type": url, ...payload } = value as Record<string, unknown>;
      const prefix = "type.googleapis.com/";
      if (typeof url !== "string" || !url.startsWith(prefix)) return expect(false, `"@type": "${prefix}<message>"`);
      const type = lookup(url.slice(prefix.length));
      if (type === undefined) errors.push(`${path}.@type: ${url.slice(prefix.length)} is not a message of Envoy's API`);
      else checkMessage(type, payload, path, errors, lookup);
      return true;
    }
    default:
      return false;
  }
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

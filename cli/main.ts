import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { RouteGuide } from "../gen/routeguide/route_guide_pb.js";
import { UserService } from "../gen/userservice/user_service_pb.js";
import { createOutput, describeError } from "./output.js";
import { runRouteGuideScenario } from "./routeguide-scenario.js";
import { createTransportFromFlags, parseHeader, parseTimeout, PROTOCOLS, type Protocol } from "./transport-from-flags.js";
import { batchCreateUsers, chat, createUser, getUser, listUsers, login } from "./user-commands.js";

const USAGE = `Usage: npm run client -- <command> [options]

Commands:
  routeguide                               the classic tutorial: GetFeature, ListFeatures, RecordRoute, RouteChat
  users create --username U --email E --password P
  users login --username U --password P    prints a token; pass it as --token or API_TOKEN
  users get ID
  users list [--page-size N] [--page-token ID] [--all]
  users batch FILE                         FILE: a JSON array or JSON lines of {username, email, password}
  users chat --user-id ID                  send stdin lines to the chat room, print the room's messages

Options:
  --url URL                 server (default http://127.0.0.1:8080, or $API_URL)
  --protocol P              grpc (default), grpc-web or connect
  --http-version V          2 (default, h2c) or 1.1 (gRPC-Web and Connect only; no bidi)
  --binary                  Connect protocol with protobuf instead of JSON
  --timeout T               deadline for each call: 500ms, 2s, 1m (expiry prints DEADLINE_EXCEEDED)
  --token T                 bearer token for authenticated calls (default $API_TOKEN)
  --header key=value        request metadata, repeatable
  --json                    one JSON object per line on stdout
  -h, --help`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string", default: process.env.API_URL ?? "http://127.0.0.1:8080" },
      protocol: { type: "string", default: "grpc" },
      "http-version": { type: "string", default: "2" },
      binary: { type: "boolean", default: false },
      timeout: { type: "string" },
      header: { type: "string", multiple: true, default: [] },
      token: { type: "string", default: process.env.API_TOKEN ?? "" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      username: { type: "string", default: "" },
      email: { type: "string", default: "" },
      password: { type: "string", default: "" },
      "page-size": { type: "string", default: "0" },
      "page-token": { type: "string", default: "" },
      all: { type: "boolean", default: false },
      "user-id": { type: "string", default: "" },
    },
  });
  const [command, subcommand, argument] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!PROTOCOLS.includes(values.protocol as Protocol)) throw new Error(`--protocol must be one of ${PROTOCOLS.join(", ")}`);
  if (values["http-version"] !== "1.1" && values["http-version"] !== "2") throw new Error("--http-version must be 1.1 or 2");

  const transport = createTransportFromFlags({
    url: values.url,
    protocol: values.protocol as Protocol,
    httpVersion: values["http-version"],
    binary: values.binary,
    headers: [
      ...(values.token === "" ? [] : [["authorization", `Bearer ${values.token}`] as [string, string]]),
      ...values.header.map(parseHeader),
    ],
    onRetryWait: (delayMs, error) => console.error(`${describeError(error, false)} (waiting ${(delayMs / 1000).toFixed(1)} s as the server asks, then retrying)`),
  });
  const out = createOutput(values.json);
  const call = { timeoutMs: values.timeout === undefined ? undefined : parseTimeout(values.timeout) };
  const users = createClient(UserService, transport);

  switch (`${command} ${subcommand ?? ""}`.trim()) {
    case "routeguide":
      await runRouteGuideScenario(createClient(RouteGuide, transport), out, { ...call, bidi: values["http-version"] === "2" });
      return 0;
    case "users create":
      await createUser(users, out, { username: values.username, email: values.email, password: values.password }, call);
      return 0;
    case "users login":
      await login(users, out, { username: values.username, password: values.password }, call);
      return 0;
    case "users get":
      if (argument === undefined) throw new Error("users get needs an ID");
      await getUser(users, out, argument, call);
      return 0;
    case "users list": {
      const pageSize = Number(values["page-size"]);
      if (!Number.isInteger(pageSize)) throw new Error("--page-size must be an integer");
      await listUsers(users, out, { pageSize, pageToken: values["page-token"], all: values.all }, call);
      return 0;
    }
    case "users batch":
      if (argument === undefined) throw new Error("users batch needs a FILE");
      await batchCreateUsers(users, out, argument, call);
      return 0;
    case "users chat":
      if (values["user-id"] === "") throw new Error("users chat needs --user-id");
      if (values["http-version"] !== "2") throw new Error("users chat streams both ways at once, which needs HTTP/2: drop --http-version 1.1");
      await chat(users, out, values["user-id"], call);
      return 0;
    default:
      console.error(`unknown command "${positionals.join(" ")}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const json = process.argv.includes("--json");
    console.error(error instanceof Error && !("code" in error) ? `error: ${error.message}` : describeError(error, json));
    process.exit(1);
  },
);

// One logger's cost per call line, measured in a process of its own (pinned by the parent):
// `node logger-cost-child.ts <hand|pino> <lines>` with stdout sent to a file, as the bench's
// servers log. Writes the line that observeCalls writes for a unary call, 64 per event-loop turn
// (as a server answering 64 connections does), each logger with its default destination; prints
// on stderr the process CPU time per line in microseconds, writing included.
import { createLogger } from "../../server/observability/logger.js";
import { createPinoLogger } from "./pino-logger.js";

const [kind, linesArgument] = process.argv.slice(2) as [string, string];
const lines = Number(linesArgument);
const PER_TURN = 64;
const { logger, flush } = kind === "pino" ? createPinoLogger({ level: "info" }) : { logger: createLogger({ level: "info" }), flush: () => {} };

/** The fields of one unary call's line, as observeCalls builds them. */
function callFields(index: number): Record<string, unknown> {
  return {
    method: "routeguide.RouteGuide/GetFeature",
    protocol: "grpc-web",
    httpVersion: "1.1",
    code: "OK",
    durationMs: Math.round(index % 997) / 10,
    peer: "127.0.0.1:51234",
    userAgent: "h2load nghttp2/1.64.0",
    requestId: `1a2b-${index.toString(36)}`,
    metadata: {},
  };
}

const started = process.cpuUsage();
let written = 0;
await new Promise<void>((resolve) => {
  const turn = () => {
    for (let i = 0; i < PER_TURN && written < lines; i++) logger.info("call", callFields(written++));
    if (written < lines) setImmediate(turn);
    else setImmediate(resolve);
  };
  turn();
});
flush();
const used = process.cpuUsage(started);
process.stderr.write(`${((used.user + used.system) / lines).toFixed(3)}\n`);

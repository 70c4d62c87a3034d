import * as http from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import * as http2 from "node:http2";
import { type FuzzCase, generateCase } from "./fuzz-cases.js";

/** What came back for one case, reduced to what the verdict needs. */
export interface FuzzOutcome {
  case: FuzzCase;
  httpStatus?: number;
  /** The gRPC or Connect status code name, lower-case as Connect writes it ("invalid_argument"). */
  code?: string;
  /** The first bytes of the response (error messages), for reports. */
  excerpt?: string;
  /** A transport-level failure (reset, socket error), if the call got no answer. */
  transportError?: string;
  /** A live stream still open when the case's time was up (a normal outcome). */
  stillStreaming?: boolean;
}

const GRPC_CODES = ["ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists", "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated"];
/** Codes that say the server failed, never right for a client's mistake. */
export const SERVER_FAULT_CODES = new Set(["unknown", "internal", "data_loss"]);

/** Why an outcome shows a server fault, or undefined if the answer is a fair one. */
export function faultOf(outcome: FuzzOutcome): string | undefined {
  if (outcome.code !== undefined && SERVER_FAULT_CODES.has(outcome.code)) return `answered ${outcome.code}`;
  // 501 (unimplemented), 503 (unavailable) and 504 (deadline_exceeded) are Connect's mappings of
  // fair answers; 500 and 502 are not.
  if (outcome.httpStatus === 500 || outcome.httpStatus === 502) return `HTTP ${outcome.httpStatus}`;
  if (outcome.httpStatus === 200 && outcome.code === undefined && !outcome.stillStreaming && outcome.case.protocol !== "connect" && outcome.case.protocol !== "connect-get") {
    return "no status";
  }
  return undefined;
}

/** One line for a report: how to replay it, what was sent, what came back. */
export function describeOutcome(outcome: FuzzOutcome): string {
  const { seed, protocol, httpVersion, path, shape } = outcome.case;
  const answer = outcome.transportError ?? `${outcome.httpStatus} ${outcome.code ?? "(no status)"} ${outcome.excerpt ?? ""}`;
  return `seed ${seed}: ${protocol} HTTP/${httpVersion} ${path.slice(0, 80)} (${shape}): ${faultOf(outcome) ?? "fair"}: ${answer}`;
}

export interface FuzzRunOptions {
  url: string;
  /** A valid service token, sent with some cases. */
  token: string;
  firstSeed: number;
  cases: number;
  /** Calls in flight at once. Default: 8. */
  concurrency?: number;
  /** A live stream is given this long, then cancelled. Default: 1,500 ms. */
  caseTimeoutMs?: number;
  onOutcome?(outcome: FuzzOutcome): void;
}

/** Sends `cases` generated requests, `concurrency` at a time, over one HTTP/2 session and HTTP/1.1 sockets. */
export async function runFuzz(options: FuzzRunOptions): Promise<FuzzOutcome[]> {
  const concurrency = options.concurrency ?? 8;
  const timeoutMs = options.caseTimeoutMs ?? 1_500;
  let session: http2.ClientHttp2Session | undefined;
  const h2 = () => {
    if (session === undefined || session.closed || session.destroyed) {
      session = http2.connect(options.url);
      session.on("error", () => {});
    }
    return session;
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const outcomes: FuzzOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.cases) {
      const fuzzCase = generateCase(options.firstSeed + next++, options.token);
      const outcome = fuzzCase.httpVersion === "2" ? await sendH2(h2(), fuzzCase, timeoutMs) : await sendH1(options.url, agent, fuzzCase, timeoutMs);
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  session?.close();
  agent.destroy();
  return outcomes;
}

function sendH2(session: http2.ClientHttp2Session, fuzzCase: FuzzCase, timeoutMs: number): Promise<FuzzOutcome> {
  return new Promise((resolve) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ":method": fuzzCase.protocol === "connect-get" ? "GET" : "POST", ":path": fuzzCase.path, ...fuzzCase.headers });
    } catch (error) {
      return resolve({ case: fuzzCase, transportError: `request refused locally: ${(error as Error).message}` });
    }
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const body: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => ((timedOut = true), stream.close(http2.constants.NGHTTP2_CANCEL)), timeoutMs);
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (chunk: Buffer) => body.length < 64 && body.push(chunk));
    stream.on("error", () => {});
    stream.once("close", () => {
      clearTimeout(timer);
      const status = Number(headers[":status"]);
      if (Number.isNaN(status)) {
        return resolve({ case: fuzzCase, stillStreaming: timedOut || undefined, transportError: timedOut ? undefined : `stream closed without a response (RST ${stream.rstCode})` });
      }
      const fields = { ...headers, ...trailers };
      resolve({ case: fuzzCase, httpStatus: status, code: codeOf(fuzzCase, status, fields, Buffer.concat(body)), excerpt: excerptOf(fields, Buffer.concat(body)), stillStreaming: timedOut || undefined });
    });
    stream.end(fuzzCase.body);
  });
}

function sendH1(url: string, agent: http.Agent, fuzzCase: FuzzCase, timeoutMs: number): Promise<FuzzOutcome> {
  return new Promise((resolve) => {
    const target = new URL(fuzzCase.path, url);
    let request: http.ClientRequest;
    try {
      request = http.request(target, { method: fuzzCase.protocol === "connect-get" ? "GET" : "POST", headers: fuzzCase.headers, agent });
    } catch (error) {
      return resolve({ case: fuzzCase, transportError: `request refused locally: ${(error as Error).message}` });
    }
    let settled = false;
    const done = (outcome: FuzzOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      done({ case: fuzzCase, stillStreaming: true });
      request.destroy();
    }, timeoutMs);
    request.on("error", (error) => done({ case: fuzzCase, transportError: error.message }));
    request.on("response", (response) => {
      const body: Buffer[] = [];
      response.on("data", (chunk: Buffer) => body.length < 64 && body.push(chunk));
      response.on("error", () => {});
      response.on("end", () => {
        const status = response.statusCode ?? 0;
        const fields = { ...response.headers, ...response.trailers };
        done({ case: fuzzCase, httpStatus: status, code: codeOf(fuzzCase, status, fields, Buffer.concat(body)), excerpt: excerptOf(fields, Buffer.concat(body)) });
      });
    });
    request.end(fuzzCase.body);
  });
}

/** Reads the call's status the way each protocol carries it. */
function codeOf(fuzzCase: FuzzCase, status: number, fields: Record<string, unknown>, body: Buffer): string | undefined {
  const grpcStatus = (value: unknown) => (value === undefined ? undefined : (GRPC_CODES[Number(value)] ?? `grpc-status ${String(value)}`));
  switch (fuzzCase.protocol) {
    case "grpc":
      return grpcStatus(fields["grpc-status"]);
    case "grpc-web": {
      if (fields["grpc-status"] !== undefined) return grpcStatus(fields["grpc-status"]);
      for (const frame of frames(body)) {
        if (frame.flags & 0x80) return grpcStatus(/grpc-status: ?(\d+)/i.exec(trailerText(frame, fields["grpc-encoding"]))?.[1]);
      }
      return undefined;
    }
    default: {
      const streaming = String(fields["content-type"] ?? "").startsWith("application/connect+");
      if (!streaming) return status === 200 ? "ok" : jsonCode(body) ?? `http ${status}`;
      for (const frame of frames(body)) {
        if (frame.flags & 0x02) return jsonCode(frame.payload, "error") ?? "ok";
      }
      return status === 200 ? undefined : jsonCode(body) ?? `http ${status}`;
    }
  }
}

/** A gRPC-Web trailer frame's text; compressed (flag 0x01) with the response's encoding, as clients read it. */
function trailerText(frame: { flags: number; payload: Buffer }, encoding: unknown): string {
  if (!(frame.flags & 0x01)) return frame.payload.toString("latin1");
  try {
    return (encoding === "br" ? brotliDecompressSync(frame.payload) : gunzipSync(frame.payload)).toString("latin1");
  } catch {
    return "";
  }
}

function excerptOf(fields: Record<string, unknown>, body: Buffer): string {
  const message = fields["grpc-message"];
  const text = typeof message === "string" ? decodeURIComponent(message) : body.toString("latin1").replace(/[^\x20-\x7e]/g, ".");
  return text.slice(0, 160);
}

function jsonCode(text: Buffer, nested?: string): string | undefined {
  try {
    const parsed = JSON.parse(text.toString("utf8")) as Record<string, unknown> | null;
    const holder = (nested === undefined ? parsed : parsed?.[nested]) as { code?: unknown } | null | undefined;
    return typeof holder?.code === "string" ? holder.code : undefined;
  } catch {
    return undefined;
  }
}

function* frames(body: Buffer): Generator<{ flags: number; payload: Buffer }> {
  for (let offset = 0; offset + 5 <= body.length; ) {
    const length = body.readUInt32BE(offset + 1);
    yield { flags: body[offset] as number, payload: body.subarray(offset + 5, offset + 5 + length) };
    offset += 5 + length;
  }
}

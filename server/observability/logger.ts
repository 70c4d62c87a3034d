/** Structured logging: one JSON object per line, filtered by level. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** Lowest level written (LOG_LEVEL). Default: "info". */
  level?: LogLevel;
  /** Where lines go. Default: process.stdout, lines written together (batchedWriter) and at exit. */
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? batchedStdout();
  const log = (level: LogLevel) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return () => {};
    return (message: string, fields?: Record<string, unknown>) => write(line(level, message, fields));
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

let lastMs = 0;
let lastIso = "";

/** The time as ISO 8601, formatted once per millisecond: a busy server logs many lines in one. */
function isoTime(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/**
 * {"time", "level", "msg", then the fields}. The fields are serialized as they are, and spliced
 * after the first three, unless one of them needs jsonSafe at the top (an Error, a BigInt) or
 * would replace one of the three: then the record is built in full. (Copying every call's
 * fields into a new record cost more than the rest of the line.)
 */
function line(level: LogLevel, message: string, fields: Record<string, unknown> | undefined): string {
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === "bigint" || value instanceof Error || key === "time" || key === "level" || key === "msg") {
      const record: Record<string, unknown> = { time: isoTime(), level, msg: message };
      for (const name in fields) record[name] = jsonSafe(name, fields[name]);
      return stringify(record);
    }
  }
  const head = `{"time":"${isoTime()}","level":"${level}","msg":${JSON.stringify(message)}`;
  const body = fields === undefined ? "{}" : stringify(fields);
  return body === "{}" ? `${head}}` : `${head},${body.slice(1)}`;
}

/** Without a replacer JSON.stringify is several times faster; the replacer is only needed for nested BigInts. */
function stringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify(record, jsonSafe);
  }
}

/** How long a line waits for the ones after it before they are written together. */
export const FLUSH_INTERVAL_MS = 10;
/** Pending lines this long (in characters) are written at once. */
export const FLUSH_CHARACTERS = 64 * 1024;

export interface BatchedWriter {
  write(line: string): void;
  /** Writes what is pending now (at exit, say). */
  flush(): void;
}

/**
 * Under load a server logs thousands of lines a second, and writing each one is a system call.
 * Lines are written together, `intervalMs` after the first of them at the latest, at once when
 * they reach `maxCharacters`, and whenever `flush` is called. (Once per event-loop turn, as
 * before, cost a unary gRPC call 1.5 µs more: a write and an immediate every turn, which also
 * kept the loop from waiting in its poll; bench/RESULTS.md, "Issue 13, eighth stop".)
 */
export function batchedWriter(output: (text: string) => void, intervalMs = FLUSH_INTERVAL_MS, maxCharacters = FLUSH_CHARACTERS): BatchedWriter {
  let pending: string[] = [];
  let characters = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join("\n") + "\n";
    pending = [];
    characters = 0;
    output(text);
  };
  return {
    write(line) {
      pending.push(line);
      characters += line.length;
      // Unref'd: a pending write must not keep the process alive; the exit hook writes it.
      if (characters >= maxCharacters) flush();
      else timer ??= setTimeout(flush, intervalMs).unref();
    },
    flush,
  };
}

function batchedStdout(): (line: string) => void {
  const writer = batchedWriter((text) => process.stdout.write(text));
  process.on("exit", writer.flush);
  return writer.write;
}

export function parseLogLevel(value: string | undefined): LogLevel {
  const level = (value ?? "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${value}"`);
  }
  return level as LogLevel;
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

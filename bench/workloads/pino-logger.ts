import pino from "pino";
import type { Logger, LogLevel } from "../../server/observability/logger.js";

export interface PinoLoggerOptions {
  /** Lowest level written. Default: "info". */
  level?: LogLevel;
  /** File descriptor the lines go to, through pino's asynchronous destination (sonic-boom). Default: 1 (stdout). */
  fd?: number;
  /** Where lines go instead, one call per line without its newline (tests). */
  write?: (line: string) => void;
}

/**
 * For the bench's logging comparison only (the server keeps its hand-written logger, which
 * measures about 4x cheaper per line: bench/RESULTS.md). The Logger interface over pino: the same JSON line shape (time, level, msg, then the fields),
 * written through an asynchronous destination that gathers lines in a buffer and writes it when
 * the previous write is done. `flush` writes what is buffered, synchronously (at exit).
 */
export function createPinoLogger(options: PinoLoggerOptions = {}): { logger: Logger; flush(): void } {
  const destination =
    options.write === undefined
      ? pino.destination({ dest: options.fd ?? 1, sync: false, minLength: 0 })
      : { write: (line: string) => options.write?.(line.endsWith("\n") ? line.slice(0, -1) : line) };
  const instance = pino(
    {
      level: options.level ?? "info",
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { error: pino.stdSerializers.err },
    },
    destination,
  );
  const method = (level: "debug" | "info" | "warn" | "error") => (message: string, fields?: Record<string, unknown>) => (fields === undefined ? instance[level](message) : instance[level](fields, message));
  return {
    logger: { debug: method("debug"), info: method("info"), warn: method("warn"), error: method("error") },
    flush: () => {
      if ("flushSync" in destination) destination.flushSync();
    },
  };
}

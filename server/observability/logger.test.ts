import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { batchedWriter, createLogger } from "./logger.js";

function capture(level?: "debug" | "info" | "warn") {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level, write: (line) => lines.push(line) }) };
}

/** The line's text with its time taken out, and the time: the rest must be exactly as expected. */
function split(line: string): { time: string; rest: string } {
  const match = /^\{"time":"([^"]+)",(.*)$/.exec(line);
  if (match === null) throw new Error(`not a log line: ${line}`);
  return { time: match[1] as string, rest: `{${match[2]}` };
}

describe("the logger", () => {
  it.each([
    ["no fields", undefined, { level: "info", msg: "call" }],
    ["empty fields", {}, { level: "info", msg: "call" }],
    [
      "the call line's fields, in their order, undefined ones left out",
      { method: "routeguide.RouteGuide/GetFeature", protocol: "grpc", httpVersion: undefined, code: "OK", durationMs: 0.1, metadata: { "x-a": "1" } },
      { level: "info", msg: "call", method: "routeguide.RouteGuide/GetFeature", protocol: "grpc", code: "OK", durationMs: 0.1, metadata: { "x-a": "1" } },
    ],
    ["strings that need escaping", { userAgent: 'a "quoted"\\ line\nnext ✓ \u0001' }, { level: "info", msg: "call", userAgent: 'a "quoted"\\ line\nnext ✓ \u0001' }],
    ["a top-level Error", { error: new TypeError("broken") }, { level: "info", msg: "call", error: { name: "TypeError", message: "broken" } }],
    ["BigInts, top-level and nested", { id: 12n, nested: { id: 13n } }, { level: "info", msg: "call", id: "12", nested: { id: "13" } }],
    ["a field named as one of the three", { msg: "replaced", level: "mine" }, { level: "mine", msg: "replaced" }],
  ])("writes one JSON line: %s", (_name, fields, expected) => {
    const { lines, logger } = capture();
    logger.info("call", fields as Record<string, unknown> | undefined);
    expect(lines).toHaveLength(1);
    // Each of the three once: JSON.parse would hide a duplicate key.
    for (const key of ['"time":', '"level":', '"msg":']) expect((lines[0] as string).split(key)).toHaveLength(2);
    const parsed = JSON.parse(lines[0] as string);
    if (parsed.error?.stack !== undefined) delete parsed.error.stack;
    expect(Object.keys(parsed)[0]).toBe("time");
    expect(new Date(parsed.time).toISOString()).toBe(parsed.time);
    delete parsed.time;
    expect(parsed).toEqual(expected);
    expect(Object.keys(parsed)).toEqual(Object.keys(expected));
  });

  it("writes the time first, as ISO 8601, then the level and message", () => {
    const { lines, logger } = capture();
    logger.warn("disk low", { freeBytes: 1 });
    const { time, rest } = split(lines[0] as string);
    expect(Math.abs(Date.parse(time) - Date.now())).toBeLessThan(5_000);
    expect(rest).toBe('{"level":"warn","msg":"disk low","freeBytes":1}');
  });

  it("leaves out levels below its own", () => {
    const { lines, logger } = capture("warn");
    logger.debug("a");
    logger.info("b");
    logger.warn("c");
    logger.error("d");
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["c", "d"]);
  });
});

describe("the batched writer", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("writes lines together, the interval after the first of them, and again for later ones", () => {
    const writes: string[] = [];
    const writer = batchedWriter((text) => writes.push(text), 10, 1_000);
    writer.write("a");
    vi.advanceTimersByTime(5);
    writer.write("b");
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(5);
    expect(writes).toEqual(["a\nb\n"]);
    writer.write("c");
    vi.advanceTimersByTime(9);
    expect(writes).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual(["a\nb\n", "c\n"]);
    vi.advanceTimersByTime(100);
    expect(writes).toHaveLength(2);
  });

  it("writes at once when the pending lines reach the limit, and whatever is pending on flush", () => {
    const writes: string[] = [];
    const writer = batchedWriter((text) => writes.push(text), 10, 6);
    writer.write("abc");
    writer.write("def");
    expect(writes).toEqual(["abc\ndef\n"]);
    writer.write("g");
    writer.flush();
    writer.flush();
    expect(writes).toEqual(["abc\ndef\n", "g\n"]);
    vi.advanceTimersByTime(100);
    expect(writes).toHaveLength(2);
  });
});

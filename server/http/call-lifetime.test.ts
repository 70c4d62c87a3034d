import { EventEmitter } from "node:events";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createCallLifetime } from "./call-lifetime.js";

function lifetimeOf(options: { timeoutMs?: number; shutdownSignal?: AbortSignal } = {}) {
  const connection = new EventEmitter();
  const deadlines: ConnectError[] = [];
  const lifetime = createCallLifetime({ timeoutMs: options.timeoutMs, shutdownSignal: options.shutdownSignal, connection, onDeadline: (error) => deadlines.push(error) });
  return { lifetime, connection, deadlines };
}

describe("a lean call's lifetime", () => {
  it("aborts its signal when the client goes, whether the signal was read before or after", () => {
    const readBefore = lifetimeOf();
    const signal = readBefore.lifetime.signal;
    expect(signal.aborted).toBe(false);
    readBefore.connection.emit("close");
    expect(signal.aborted).toBe(true);
    expect(ConnectError.from(signal.reason).code).toBe(Code.Canceled);

    // An abort before anyone asked must still be seen.
    const readAfter = lifetimeOf();
    readAfter.connection.emit("close");
    expect(readAfter.lifetime.signal.aborted).toBe(true);
    expect(ConnectError.from(readAfter.lifetime.signal.reason).code).toBe(Code.Canceled);
  });

  it("aborts at the deadline and answers it; the first reason stays", async () => {
    const { lifetime, connection, deadlines } = lifetimeOf({ timeoutMs: 5 });
    expect(lifetime.timeoutMs()).toBeLessThanOrEqual(5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(deadlines.map((error) => error.code)).toEqual([Code.DeadlineExceeded]);
    connection.emit("close");
    expect(ConnectError.from(lifetime.signal.reason).code).toBe(Code.DeadlineExceeded);
  });

  it("aborts with the shutdown's reason, and not after it is released", () => {
    const shutdown = new AbortController();
    const live = lifetimeOf({ shutdownSignal: shutdown.signal });
    const released = lifetimeOf({ shutdownSignal: shutdown.signal });
    released.lifetime.release();
    shutdown.abort(new ConnectError("shutting down", Code.Unavailable));
    expect(ConnectError.from(live.lifetime.signal.reason).code).toBe(Code.Unavailable);
    expect(released.lifetime.signal.aborted).toBe(false);
    released.connection.emit("close"); // released: no longer listening
    expect(released.lifetime.signal.aborted).toBe(false);
  });

  it("on shutdown aborts every call still in flight, whichever were released before, in whatever order", () => {
    const shutdown = new AbortController();
    const calls = Array.from({ length: 6 }, () => lifetimeOf({ shutdownSignal: shutdown.signal }));
    // The first and the last started, then the last but one (next to one gone), one in the
    // middle, and that one again.
    for (const index of [0, 5, 4, 2, 2]) calls[index]?.lifetime.release();
    shutdown.abort(new ConnectError("shutting down", Code.Unavailable));
    expect(calls.map((call) => call.lifetime.signal.aborted)).toEqual([false, true, false, true, false, false]);
    for (const call of calls) call.lifetime.release(); // after the shutdown: nothing left to take out
    // A call that starts once the server is shutting down is aborted at once.
    expect(lifetimeOf({ shutdownSignal: shutdown.signal }).lifetime.signal.aborted).toBe(true);
  });
});

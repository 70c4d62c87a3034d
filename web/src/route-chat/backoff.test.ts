import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { RetryInfoSchema } from "../../../gen/google/rpc/error_details_pb";
import { backoffDelay, reconnectDelay, sleep } from "./backoff";

describe("backoffDelay", () => {
  it("doubles from 500 ms up to 10 s, with between half and all of each step", () => {
    const lowest = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, { random: () => 0 }));
    const highest = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, { random: () => 1 }));
    expect(highest).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(lowest).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });
});

describe("reconnectDelay", () => {
  const hinted = (ms: number) =>
    new ConnectError("server is shutting down", Code.Unavailable, undefined, [
      { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 } }) },
    ]);
  it("waits as long as a RetryInfo asks when that is longer than the backoff", () => {
    expect(reconnectDelay(0, hinted(3_250), { random: () => 1 })).toBe(3_250);
  });
  it("keeps the backoff when it is longer, or when the error says nothing", () => {
    expect(reconnectDelay(5, hinted(1_000), { random: () => 1 })).toBe(10_000);
    expect(reconnectDelay(0, new ConnectError("gone", Code.Unavailable), { random: () => 1 })).toBe(500);
  });
});

describe("sleep", () => {
  it("ends early when its signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await slept;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

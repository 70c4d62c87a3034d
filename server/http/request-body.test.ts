import { PassThrough } from "node:stream";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { envelope } from "../lib/envelope.js";
import { type BodyResult, readOneEnvelope, type EnvelopeReadOptions } from "./request-body.js";

/** Feeds `body` to readOneEnvelope in the given chunks, then ends it (unless `end` is false). */
function read(chunks: Buffer[], options: Partial<EnvelopeReadOptions> = {}, end = true): Promise<BodyResult> {
  const request = new PassThrough();
  const result = new Promise<BodyResult>((resolve) => readOneEnvelope(request, { readMaxBytes: 100, methodKind: "unary", ...options }, resolve));
  for (const chunk of chunks) request.write(chunk);
  if (end) request.end();
  return result;
}

/** `bytes` cut at the given offsets. */
function cut(bytes: Buffer, ...at: number[]): Buffer[] {
  const edges = [0, ...at, bytes.length];
  return edges.slice(1).map((edge, i) => bytes.subarray(edges[i], edge));
}

const message = Buffer.from("a request message");
const frame = envelope(message);

describe("readOneEnvelope", () => {
  it("reads one message however the envelope is cut, its prefix included", async () => {
    for (let first = 0; first <= frame.length; first++) {
      for (const second of [first, Math.min(first + 3, frame.length)]) {
        const result = await read(cut(frame, first, second));
        expect(result.error, `cut at ${first}, ${second}`).toBeUndefined();
        expect(Buffer.from(result.bytes as Uint8Array).toString(), `cut at ${first}, ${second}`).toBe(message.toString());
      }
    }
    const byteByByte = [...frame].map((byte) => Buffer.from([byte]));
    expect(Buffer.from((await read(byteByByte)).bytes as Uint8Array).toString()).toBe(message.toString());
  });

  it("skips the protocol's end-of-stream envelope, before or after the message, in one chunk or cut", async () => {
    const end = envelope(Buffer.from("grpc-status: 0"), 0x80);
    expect(Buffer.from((await read([Buffer.concat([frame, end])], { endFlag: 0x80 })).bytes as Uint8Array).toString()).toBe(message.toString());
    expect(Buffer.from((await read(cut(Buffer.concat([end, frame]), 3, 20), { endFlag: 0x80 })).bytes as Uint8Array).toString()).toBe(message.toString());
  });

  it("refuses as connect-node does: an announced size over the limit, a compressed or second message, a missing or cut-off one", async () => {
    const big = Buffer.alloc(5);
    big.writeUInt32BE(101, 1);
    expect((await read([big], {}, false)).error).toMatchObject({ code: Code.ResourceExhausted, rawMessage: "message size 101 is larger than configured readMaxBytes 100" });
    expect((await read([envelope(message, 0x01)])).error).toMatchObject({ code: Code.InvalidArgument, rawMessage: "received compressed envelope, but do not know how to decompress" });
    expect((await read([frame, frame], { methodKind: "server-streaming" })).error).toMatchObject({
      code: Code.Unimplemented,
      rawMessage: "protocol error: received extra input message for server-streaming method",
    });
    expect((await read([])).error).toMatchObject({ code: Code.Unimplemented, rawMessage: "protocol error: missing input message for unary method" });
    expect((await read([frame.subarray(0, 3)])).error).toMatchObject({ code: Code.InvalidArgument, rawMessage: "protocol error: incomplete envelope" });
    expect((await read([frame.subarray(0, 9)])).error).toMatchObject({ code: Code.InvalidArgument, rawMessage: "protocol error: incomplete envelope" });
  });

  it("reports a request that goes away before its end as canceled", async () => {
    const request = new PassThrough();
    const result = new Promise<BodyResult>((resolve) => readOneEnvelope(request, { readMaxBytes: 100, methodKind: "unary" }, resolve));
    request.write(frame.subarray(0, 7));
    request.destroy();
    expect((await result).error).toMatchObject({ code: Code.Canceled });
    expect(request.listenerCount("data") + request.listenerCount("end")).toBe(0);
  });
});

import type { ConnectError, Interceptor, Transport } from "@connectrpc/connect";
import { honourRetryHints } from "./honour-retry-hints.js";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";

export const PROTOCOLS = ["grpc", "grpc-web", "connect"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface TransportFlags {
  /** Server base URL. Default: http://127.0.0.1:8080. */
  url: string;
  /** Default: grpc. */
  protocol: Protocol;
  /** "2" (h2c, default) or "1.1". gRPC needs HTTP/2; so do bidi calls on every protocol. */
  httpVersion: "1.1" | "2";
  /** Connect protocol only: protobuf binary instead of JSON. Default: false. */
  binary: boolean;
  /** Request metadata sent with every call. */
  headers: [string, string][];
  /** Told when a call waits as a RetryInfo asks before trying again (see honour-retry-hints.ts). */
  onRetryWait?: (delayMs: number, error: ConnectError) => void;
}

export function createTransportFromFlags(flags: TransportFlags): Transport {
  const addHeaders: Interceptor = (next) => (request) => {
    for (const [key, value] of flags.headers) request.header.append(key, value);
    return next(request);
  };
  const common = { baseUrl: flags.url, interceptors: [addHeaders, honourRetryHints({ onWait: flags.onRetryWait })] };
  switch (flags.protocol) {
    case "grpc":
      if (flags.httpVersion !== "2") throw new Error("gRPC needs HTTP/2: drop --http-version 1.1");
      return createGrpcTransport(common);
    case "grpc-web":
      return createGrpcWebTransport({ ...common, httpVersion: flags.httpVersion });
    case "connect":
      return createConnectTransport({ ...common, httpVersion: flags.httpVersion, useBinaryFormat: flags.binary });
  }
}

/** Parses "1500", "1500ms", "2s" or "1m" into milliseconds. */
export function parseTimeout(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (match === null) throw new Error(`--timeout "${text}" is not a duration such as 500ms, 2s or 1m`);
  const value = Number(match[1]);
  const unit = match[2] ?? "ms";
  return Math.round(value * (unit === "m" ? 60_000 : unit === "s" ? 1000 : 1));
}

/** Parses "key=value" metadata. */
export function parseHeader(text: string): [string, string] {
  const index = text.indexOf("=");
  if (index <= 0) throw new Error(`--header "${text}" must look like key=value`);
  return [text.slice(0, index).trim().toLowerCase(), text.slice(index + 1)];
}

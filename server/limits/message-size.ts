import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { procedureName } from "../lib/per-method.js";

/**
 * Largest request message when nothing more specific is set. The largest legitimate request
 * here is a CreateUser or a note at a few KiB (1,000 characters of up to 4 bytes each); 64 KiB
 * leaves room without letting every call make the server read and parse megabytes.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

/** Request size limits: a default, and per method ("package.Service/Method") where set. */
export interface MessageSizeLimits {
  /** Default: DEFAULT_MAX_MESSAGE_BYTES. */
  defaultBytes?: number;
  /** Overrides per method, e.g. {"routeguide.RouteNotesService/PostNote": 8192}. Default: none. */
  byMethod?: Readonly<Record<string, number>>;
}

/**
 * Registers each method of `service` on its own, with its request size limit, so that both
 * connect-node and the lean gRPC path refuse an oversized request before reading it in full.
 */
export function registerWithSizeLimits(
  router: ConnectRouter,
  service: DescService,
  impl: object,
  limits: MessageSizeLimits,
): void {
  for (const method of service.methods) {
    const fn = (impl as Record<string, unknown>)[method.localName];
    if (typeof fn !== "function") continue;
    const readMaxBytes = limitFor(method, limits);
    router.rpc(method as DescMethod, fn.bind(impl) as never, { readMaxBytes });
  }
}

export function limitFor(method: DescMethod, limits: MessageSizeLimits): number {
  return limits.byMethod?.[procedureName(method)] ?? limits.defaultBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
}

/** Reads "pkg.Service/Method=bytes,..." (MAX_MESSAGE_BYTES_BY_METHOD). */
export function parseSizesByMethod(text: string | undefined): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const item of (text ?? "").split(",").map((part) => part.trim()).filter(Boolean)) {
    const match = /^([\w.]+\/\w+)\s*=\s*(\d+)$/.exec(item);
    if (match === null || !(Number(match[2]) > 0)) {
      throw new Error(`MAX_MESSAGE_BYTES_BY_METHOD entries look like "routeguide.RouteNotesService/PostNote=8192"; got "${item}"`);
    }
    sizes[match[1] as string] = Number(match[2]);
  }
  return sizes;
}

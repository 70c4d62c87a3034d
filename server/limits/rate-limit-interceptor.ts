import type { Interceptor, StreamRequest } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import { clientAddress, clientKey } from "./client-key.js";
import { createRateLimiter, type Rate } from "./rate-limiter.js";
import { tooMany } from "./retry-info.js";
import { procedureName } from "../lib/per-method.js";

/** Per-client rates of the calls that write or cost a password hash. Undefined: no limit. */
export interface RateLimits {
  /** Route notes (PostNote, and each RouteChat note), per client. Default: 10/s. */
  notes?: Rate;
  /** Chat messages (ChatRoomService/Post, and each Chat message), per user. Default: 10/s. */
  chat?: Rate;
  /** Sign-ups (CreateUser), per address. Default: 10/min. */
  signUp?: Rate;
  /** Login attempts, per address (failures are also throttled per username). Default: 30/min. */
  login?: Rate;
}

export const DEFAULT_RATE_LIMITS: Required<RateLimits> = {
  notes: { limit: 10, periodMs: 1_000 },
  chat: { limit: 10, periodMs: 1_000 },
  signUp: { limit: 10, periodMs: 60_000 },
  login: { limit: 30, periodMs: 60_000 },
};

interface Limited {
  kind: keyof RateLimits;
  /** Public methods count per address even when a token is sent, so tokens cannot multiply the rate. */
  byAddress: boolean;
}

const LIMITED: Record<string, Limited> = {
  "routeguide.RouteNotesService/PostNote": { kind: "notes", byAddress: false },
  "routeguide.RouteGuide/RouteChat": { kind: "notes", byAddress: false },
  "userservice.ChatRoomService/Post": { kind: "chat", byAddress: false },
  "userservice.UserService/Chat": { kind: "chat", byAddress: false },
  "userservice.UserService/CreateUser": { kind: "signUp", byAddress: true },
  "userservice.UserService/Login": { kind: "login", byAddress: true },
};

const WORDS: Record<keyof RateLimits, string> = {
  notes: "notes",
  chat: "chat messages",
  signUp: "sign-ups",
  login: "login attempts",
};

/** Takes one token for a client key: 0 if there was one, else the ms until one is. */
export type TakeToken = (key: string) => number | Promise<number>;

/** Where the buckets of one kind live. Default: in this process (createRateLimiter). */
export type RateLimitStore = (kind: keyof RateLimits, rate: Rate) => TakeToken;

const inMemory: RateLimitStore = (_kind, rate) => {
  const limiter = createRateLimiter(rate);
  return (key) => limiter.take(key);
};

/**
 * Applies `limits` after authentication (so signed-in users count as themselves). A unary call
 * over the rate gets RESOURCE_EXHAUSTED with a RetryInfo detail and changes nothing. On a
 * stream (RouteChat, Chat) each incoming message takes a token and, when none is left, the
 * next message is read only once one is: the client is slowed down, not cut off. With several
 * replicas the buckets live in Redis (`store`, see redis-rate-limiter.ts), shared by all.
 */
export function limitRates(limits: RateLimits, store: RateLimitStore = inMemory): Interceptor {
  const limiters = new Map<keyof RateLimits, TakeToken>();
  for (const kind of Object.keys(limits) as (keyof RateLimits)[]) {
    const rate = limits[kind];
    if (rate !== undefined) limiters.set(kind, store(kind, rate));
  }
  // Not async: calls that no limit applies to pass straight through, without another promise.
  return (next) => (request) => {
    const limited = LIMITED[procedureName(request.method)];
    const limiter = limited && limiters.get(limited.kind);
    if (limited === undefined || limiter === undefined) return next(request);
    const key = limited.byAddress ? `address:${clientAddress(request.contextValues)}` : clientKey(request.contextValues);
    if (!request.stream) {
      const refuseOrGo = (waitMs: number) =>
        waitMs > 0 ? Promise.reject(tooMany(`too many ${WORDS[limited.kind]} from this client`, waitMs)) : next(request);
      const taken = limiter(key);
      return typeof taken === "number" ? refuseOrGo(taken) : taken.then(refuseOrGo);
    }
    return next({ ...request, message: paced(request, () => limiter(key)) } as StreamRequest);
  };
}

async function* paced<T>(request: StreamRequest, take: () => number | Promise<number>): AsyncIterable<T> {
  for await (const message of request.message as AsyncIterable<T>) {
    for (let waitMs = await take(); waitMs > 0; waitMs = await take()) await sleep(waitMs, undefined, { signal: request.signal });
    yield message;
  }
}

import type { Http2Session } from "node:http2";
import { isMap, isSet } from "node:util/types";

/**
 * Node's HTTP/2 session keeps its open streams in a Map by id, and each stream passes through a
 * Set while it waits for its id (node:internal/http2/core, `session[kState]`): one insertion and
 * one deletion in each per request. V8 rebuilds such a table every few requests and leaves the
 * old table pointing to the new one (for iterators that may still walk it), with the streams it
 * held. Once one of those tables has reached the old generation, the chain of tables after it,
 * and every stream any of them held, outlives each minor collection until the next full one:
 * a bare node:http2 server promoted 600-900 bytes a request, nearly all of it dead streams
 * (bench/RESULTS.md, "Issue 13, eleventh stop").
 *
 * `untangleSessionStreams` swaps the two for tables that drop what they no longer hold: the
 * streams by id in an object's integer-keyed elements, the waiting ones in an array. Node reads
 * them only through get, set, has, delete, size and forEach (Node 24), all kept with a Map's
 * and a Set's meaning. A Node whose session does not look as expected is left alone.
 */
export function untangleSessionStreams(session: Http2Session): boolean {
  const state = sessionState(session);
  if (state === undefined) return false;
  state.streams = createStreamTable(state.streams);
  state.pendingStreams = createWaitingStreams(state.pendingStreams);
  return true;
}

/** The part of a session's internal state this module replaces. */
interface SessionStreams {
  streams: Map<number, object>;
  pendingStreams: Set<object>;
}

function sessionState(session: Http2Session): SessionStreams | undefined {
  for (const key of Object.getOwnPropertySymbols(session)) {
    if (key.description !== "state") continue;
    const state = (session as unknown as Record<symbol, unknown>)[key] as Partial<SessionStreams> | undefined;
    if (isMap(state?.streams) && isSet(state?.pendingStreams)) return state as SessionStreams;
  }
  return undefined;
}

/**
 * A Map from stream id to stream. Ids are positive integers below 2^31, so they are the
 * elements of a prototype-less object; a deleted id leaves nothing behind.
 */
export function createStreamTable(initial: Iterable<[number, object]> = []): Map<number, object> {
  return new StreamTable(initial) as unknown as Map<number, object>;
}

class StreamTable {
  private byId: Record<number, object> = Object.create(null) as Record<number, object>;
  private count = 0;

  constructor(initial: Iterable<[number, object]>) {
    for (const [id, stream] of initial) this.set(id, stream);
  }

  get size(): number {
    return this.count;
  }

  get(id: number): object | undefined {
    return this.byId[id];
  }

  has(id: number): boolean {
    return this.byId[id] !== undefined;
  }

  set(id: number, stream: object): this {
    if (this.byId[id] === undefined) this.count++;
    this.byId[id] = stream;
    return this;
  }

  delete(id: number): boolean {
    if (this.byId[id] === undefined) return false;
    delete this.byId[id];
    this.count--;
    return true;
  }

  clear(): void {
    this.byId = Object.create(null) as Record<number, object>;
    this.count = 0;
  }

  /** In id order, which is the order streams are opened in. As a Map's, skips what a callback deletes before it is reached. */
  forEach(callback: (stream: object, id: number, table: this) => void): void {
    for (const [id, stream] of this.entries()) callback(stream, id, this);
  }

  *entries(): IterableIterator<[number, object]> {
    for (const key of Object.keys(this.byId)) {
      const stream = this.byId[key as unknown as number];
      if (stream !== undefined) yield [Number(key), stream];
    }
  }

  *keys(): IterableIterator<number> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): IterableIterator<object> {
    for (const [, stream] of this.entries()) yield stream;
  }

  [Symbol.iterator](): IterableIterator<[number, object]> {
    return this.entries();
  }
}

/**
 * A Set of the streams waiting for an id. A server's stream is added and removed as it is made,
 * so there is rarely more than one: an array, searched.
 */
export function createWaitingStreams(initial: Iterable<object> = []): Set<object> {
  return new WaitingStreams(initial) as unknown as Set<object>;
}

class WaitingStreams {
  private readonly items: object[] = [];

  constructor(initial: Iterable<object>) {
    for (const item of initial) this.add(item);
  }

  get size(): number {
    return this.items.length;
  }

  has(item: object): boolean {
    return this.items.includes(item);
  }

  add(item: object): this {
    if (!this.items.includes(item)) this.items.push(item);
    return this;
  }

  delete(item: object): boolean {
    const at = this.items.indexOf(item);
    if (at === -1) return false;
    this.items.splice(at, 1);
    return true;
  }

  clear(): void {
    this.items.length = 0;
  }

  /** Over the items as they were when it began, skipping those a callback deletes first, as a Set's does. */
  forEach(callback: (item: object, again: object, set: this) => void): void {
    for (const item of this.values()) callback(item, item, this);
  }

  *values(): IterableIterator<object> {
    for (const item of [...this.items]) if (this.items.includes(item)) yield item;
  }

  keys(): IterableIterator<object> {
    return this.values();
  }

  *entries(): IterableIterator<[object, object]> {
    for (const item of this.values()) yield [item, item];
  }

  [Symbol.iterator](): IterableIterator<object> {
    return this.values();
  }
}

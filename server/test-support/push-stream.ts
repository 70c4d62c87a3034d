import { createAsyncQueue } from "../lib/async-queue.js";

/** A request stream a test writes to step by step: push(), then end(). */
export function createPushStream<T>(): AsyncIterable<T> & { push(value: T): void; end(): void } {
  const queue = createAsyncQueue<T>();
  return {
    push: (value) => queue.push(value),
    end: () => queue.end(),
    [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
  };
}

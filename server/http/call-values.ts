import type { ContextKey, ContextValues } from "@connectrpc/connect";

/**
 * ContextValues for one call, exactly as connect's `createContextValues` keeps them (each value
 * a property of the object, keyed by the key's symbol), with the methods on a prototype:
 * connect's object literal makes three closures per call, and a live stream keeps its values
 * for hours.
 */
class CallValues implements ContextValues {
  get<T>(key: ContextKey<T>): T {
    return key.id in this ? ((this as Record<symbol, unknown>)[key.id] as T) : key.defaultValue;
  }

  set<T>(key: ContextKey<T>, value: T): this {
    (this as Record<symbol, unknown>)[key.id] = value;
    return this;
  }

  delete(key: ContextKey<unknown>): this {
    delete (this as Record<symbol, unknown>)[key.id];
    return this;
  }
}

export function createCallValues(): ContextValues {
  return new CallValues();
}

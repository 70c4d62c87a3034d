import type { DescMethod } from "@bufbuild/protobuf";

/**
 * `compute` for each method, worked out on its first call and kept: interceptors decide some
 * things by method alone (is it public, does it have request rules, its name for logs), and
 * every call would otherwise repeat them, string building included.
 */
export function perMethod<T>(compute: (method: DescMethod) => T): (method: DescMethod) => T {
  const known = new WeakMap<DescMethod, T>();
  return (method) => {
    if (known.has(method)) return known.get(method) as T;
    const value = compute(method);
    known.set(method, value);
    return value;
  };
}

/** "package.Service/Method", as logs, metrics and error reports name a method. */
export const procedureName = perMethod((method) => `${method.parent.typeName}/${method.name}`);

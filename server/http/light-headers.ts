/**
 * A Headers for the fast path, over a plain object. undici's Headers checks every name and
 * value against the HTTP grammar on each set; on a small call that costs more than the
 * handler. Node's HTTP/2 layer has already validated what comes in, and what goes out is
 * validated again when it is written, so nothing is lost. Names are lower-cased, as in Headers.
 */
export function createLightHeaders(): Headers {
  const fields: Record<string, string> = Object.create(null);
  const headers = {
    get: (name: string) => fields[name.toLowerCase()] ?? null,
    has: (name: string) => name.toLowerCase() in fields,
    set(name: string, value: string) {
      fields[name.toLowerCase()] = String(value);
    },
    append(name: string, value: string) {
      const key = name.toLowerCase();
      fields[key] = key in fields ? `${fields[key]}, ${value}` : String(value);
    },
    delete(name: string) {
      delete fields[name.toLowerCase()];
    },
    forEach(callback: (value: string, name: string, parent: Headers) => void) {
      for (const name in fields) callback(fields[name] as string, name, headers as unknown as Headers);
    },
    getSetCookie: () => (fields["set-cookie"] === undefined ? [] : [fields["set-cookie"]]),
    *entries(): Generator<[string, string]> {
      for (const name in fields) yield [name, fields[name] as string];
    },
    *keys(): Generator<string> {
      for (const name in fields) yield name;
    },
    *values(): Generator<string> {
      for (const name in fields) yield fields[name] as string;
    },
    [Symbol.iterator]() {
      return headers.entries();
    },
  };
  return headers as unknown as Headers;
}

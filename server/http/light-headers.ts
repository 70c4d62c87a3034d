/**
 * A Headers for the lean paths, over a flat array. undici's Headers checks every name and
 * value against the HTTP grammar on each set; on a small call that costs more than the
 * handler. Node's HTTP/2 layer has already validated what comes in, and what goes out is
 * validated again when it is written, so nothing is lost. Names are lower-cased, as in Headers.
 * A class, not a factory: four of these are made per call, and shared prototype methods
 * allocate nothing per instance.
 */
class LightHeaders {
  // Names (lower-case) and values in turn, in insertion order. A call has a handful of fields,
  // so a scan is as quick as a lookup, and a flat array is far smaller than a hash table: a live
  // stream keeps three of these for hours (an Object.create(null) store is a ~240-byte
  // dictionary each).
  private readonly list: string[] = [];

  private indexOf(name: string): number {
    const key = name.toLowerCase();
    const list = this.list;
    for (let i = 0; i < list.length; i += 2) if (list[i] === key) return i;
    return -1;
  }
  get(name: string): string | null {
    const i = this.indexOf(name);
    return i < 0 ? null : (this.list[i + 1] as string);
  }
  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }
  set(name: string, value: string): void {
    const i = this.indexOf(name);
    if (i < 0) this.list.push(name.toLowerCase(), String(value));
    else this.list[i + 1] = String(value);
  }
  append(name: string, value: string): void {
    const i = this.indexOf(name);
    if (i < 0) this.list.push(name.toLowerCase(), String(value));
    else this.list[i + 1] = `${this.list[i + 1]}, ${value}`;
  }
  delete(name: string): void {
    const i = this.indexOf(name);
    if (i >= 0) this.list.splice(i, 2);
  }
  forEach(callback: (value: string, name: string, parent: Headers) => void): void {
    const list = this.list;
    for (let i = 0; i < list.length; i += 2) callback(list[i + 1] as string, list[i] as string, this as unknown as Headers);
  }
  getSetCookie(): string[] {
    const cookie = this.get("set-cookie");
    return cookie === null ? [] : [cookie];
  }
  *entries(): Generator<[string, string]> {
    for (let i = 0; i < this.list.length; i += 2) yield [this.list[i] as string, this.list[i + 1] as string];
  }
  *keys(): Generator<string> {
    for (let i = 0; i < this.list.length; i += 2) yield this.list[i] as string;
  }
  *values(): Generator<string> {
    for (let i = 1; i < this.list.length; i += 2) yield this.list[i] as string;
  }
  [Symbol.iterator](): Generator<[string, string]> {
    return this.entries();
  }
}

export function createLightHeaders(): Headers {
  return new LightHeaders() as unknown as Headers;
}

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
  // dictionary each). Made on the first field, at its size: an array grown by push reserves
  // 17 slots at once, and most of these hold none or one field.
  private list: string[];

  constructor(fields?: string[]) {
    this.list = fields ?? NONE;
  }

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
    if (i < 0) this.add(name, value);
    else this.list[i + 1] = String(value);
  }
  append(name: string, value: string): void {
    const i = this.indexOf(name);
    if (i < 0) this.add(name, value);
    else this.list[i + 1] = `${this.list[i + 1]}, ${value}`;
  }
  private add(name: string, value: string): void {
    // A copy one field longer: exact size, and NONE is never written to.
    const list = this.list;
    const grown = new Array<string>(list.length + 2);
    for (let i = 0; i < list.length; i++) grown[i] = list[i] as string;
    grown[list.length] = name.toLowerCase();
    grown[list.length + 1] = String(value);
    this.list = grown;
  }
  delete(name: string): void {
    const i = this.indexOf(name);
    if (i >= 0) this.list = [...this.list.slice(0, i), ...this.list.slice(i + 2)];
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

const NONE: string[] = [];

export function createLightHeaders(): Headers {
  return new LightHeaders() as unknown as Headers;
}

/** A Headers of `fields`: lower-case names and values in turn, taken as they are (not copied). */
export function lightHeadersOf(fields: string[]): Headers {
  return new LightHeaders(fields) as unknown as Headers;
}

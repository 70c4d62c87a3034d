/**
 * A Headers for the fast path, over a plain object. undici's Headers checks every name and
 * value against the HTTP grammar on each set; on a small call that costs more than the
 * handler. Node's HTTP/2 layer has already validated what comes in, and what goes out is
 * validated again when it is written, so nothing is lost. Names are lower-cased, as in Headers.
 * A class, not a factory: four of these are made per call, and shared prototype methods
 * allocate nothing per instance.
 */
class LightHeaders {
  private readonly fields: Record<string, string> = Object.create(null);

  get(name: string): string | null {
    return this.fields[name.toLowerCase()] ?? null;
  }
  has(name: string): boolean {
    return name.toLowerCase() in this.fields;
  }
  set(name: string, value: string): void {
    this.fields[name.toLowerCase()] = String(value);
  }
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    this.fields[key] = key in this.fields ? `${this.fields[key]}, ${value}` : String(value);
  }
  delete(name: string): void {
    delete this.fields[name.toLowerCase()];
  }
  forEach(callback: (value: string, name: string, parent: Headers) => void): void {
    for (const name in this.fields) callback(this.fields[name] as string, name, this as unknown as Headers);
  }
  getSetCookie(): string[] {
    const cookie = this.fields["set-cookie"];
    return cookie === undefined ? [] : [cookie];
  }
  *entries(): Generator<[string, string]> {
    for (const name in this.fields) yield [name, this.fields[name] as string];
  }
  *keys(): Generator<string> {
    for (const name in this.fields) yield name;
  }
  *values(): Generator<string> {
    for (const name in this.fields) yield this.fields[name] as string;
  }
  [Symbol.iterator](): Generator<[string, string]> {
    return this.entries();
  }
}

export function createLightHeaders(): Headers {
  return new LightHeaders() as unknown as Headers;
}

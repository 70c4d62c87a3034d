// V8's GC trace (node --trace-gc-nvp), read by the GC tests and by the bench's GC table.

/** What V8 reported of its collections. */
export interface GcTotals {
  scavenges: number;
  fullCollections: number;
  /** Bytes minor collections moved to the old generation. */
  promotedBytes: number;
  /** Main-thread pause, ms. */
  pauseMs: number;
  /** Helper threads' GC work, ms (parallel scavenging, concurrent marking and sweeping). */
  backgroundMs: number;
}

/**
 * V8's one line per collection under --trace-gc-nvp ("pause=1.2 ... gc=s ... promoted=1234 ...").
 * A scavenge is gc=s; anything else (mark-compact, its finalization) counts as a full one.
 */
export function parseGcTrace(text: string): GcTotals {
  const totals: GcTotals = { scavenges: 0, fullCollections: 0, promotedBytes: 0, pauseMs: 0, backgroundMs: 0 };
  for (const line of text.split("\n")) {
    const kind = / gc=(\w+)/.exec(line)?.[1];
    if (kind === undefined) continue;
    const field = (name: string) => Number(new RegExp(` ${name.replace(".", "\\.")}=([\\d.]+)`).exec(line)?.[1] ?? 0);
    if (kind === "s") {
      // A scavenge line without it would read as nothing promoted: a V8 that words it otherwise must fail loudly.
      if (!/ promoted=\d/.test(line)) throw new Error(`a scavenge without "promoted=" in the GC trace: ${line}`);
      totals.scavenges++;
      totals.promotedBytes += field("promoted");
    } else {
      totals.fullCollections++;
    }
    totals.pauseMs += field("pause");
    for (const match of line.matchAll(/ background\.[\w.]+=([\d.]+)/g)) totals.backgroundMs += Number(match[1]);
  }
  return totals;
}

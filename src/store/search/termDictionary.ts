/**
 * The term dictionary: every term's UTF-8 bytes in one arena (by term id, ids handed out in
 * order), and the ids sorted by those bytes, so a term or every term starting with a prefix is
 * found by binary search. No string or Map entry per term stays on the heap; terms added since
 * the last `prepare()` wait in a small Map (found by it) and are merged into the sorted ids there.
 * Byte order is code point order, and a prefix of a term's bytes is a prefix of its text.
 */

/** Terms waiting for a merge at most; then one is made during adding (a body-heavy rebuild). */
const MAX_PENDING = 1 << 16;
const NOT_FOUND = -1;

export class TermDictionary {
  private bytes = new Uint8Array(4096);
  /** Term id's bytes are bytes[offsets[id], offsets[id + 1]). */
  private offsets = new Uint32Array(256);
  private terms = 0;
  /** Ids of the merged terms in byte order. */
  private sorted = new Int32Array(0);
  private pending = new Map<string, number>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private key = new Uint8Array(128);

  get size(): number {
    return this.terms;
  }

  /** The term's id, added when new. */
  id(term: string): number {
    const found = this.find(term);
    if (found !== NOT_FOUND) return found;
    if (this.pending.size >= MAX_PENDING) this.prepare();
    const length = this.encode(term);
    const id = this.terms++;
    if (this.terms + 1 > this.offsets.length) this.offsets = grown(this.offsets, this.terms + 1);
    const from = this.offsets[id];
    if (from + length > this.bytes.length) this.bytes = grown(this.bytes, from + length);
    this.bytes.set(this.key.subarray(0, length), from);
    this.offsets[id + 1] = from + length;
    this.pending.set(term, id);
    return id;
  }

  /** The term's id, or -1. */
  find(term: string): number {
    const waiting = this.pending.get(term);
    if (waiting !== undefined) return waiting;
    const length = this.encode(term);
    const i = this.lowerBound(length);
    return i < this.sorted.length && this.compare(this.sorted[i], length) === 0 && this.byteLength(this.sorted[i]) === length ? this.sorted[i] : NOT_FOUND;
  }

  text(id: number): string {
    return this.decoder.decode(this.bytes.subarray(this.offsets[id], this.offsets[id + 1]));
  }

  byteLength(id: number): number {
    return this.offsets[id + 1] - this.offsets[id];
  }

  /** Merges the terms added since into the sorted ids. */
  prepare(): void {
    if (!this.pending.size) return;
    const added = Int32Array.from(this.pending.values()).sort((a, b) => this.compareIds(a, b));
    this.pending.clear();
    const old = this.sorted;
    const merged = new Int32Array(old.length + added.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < added.length) merged[k++] = this.compareIds(old[i], added[j]) <= 0 ? old[i++] : added[j++];
    while (i < old.length) merged[k++] = old[i++];
    while (j < added.length) merged[k++] = added[j++];
    this.sorted = merged;
  }

  /**
   * [from, to) of the sorted positions (see at()) of the terms starting with `prefix`, and the
   * prefix's length in bytes (a term of that length is the prefix itself, at `from`).
   */
  prefixRange(prefix: string): [number, number, number] {
    this.prepare();
    const length = this.encode(prefix);
    const from = this.lowerBound(length);
    let to = from;
    while (to < this.sorted.length && this.byteLength(this.sorted[to]) >= length && this.compare(this.sorted[to], length) === 0) to++;
    return [from, to, length];
  }

  /** The term id at a sorted position. */
  at(position: number): number {
    return this.sorted[position];
  }

  /** Keeps the terms `keep` says yes to; returns old id -> new id (-1 dropped), ids in the same order. */
  retain(keep: (id: number) => boolean): { map: Int32Array; size: number } {
    this.prepare();
    const map = new Int32Array(this.terms).fill(NOT_FOUND);
    const bytes = new Uint8Array(Math.max(4096, this.offsets[this.terms]));
    const offsets = new Uint32Array(Math.max(256, this.terms + 1));
    let n = 0;
    for (let id = 0; id < this.terms; id++) {
      if (!keep(id)) continue;
      const from = this.offsets[id];
      const length = this.byteLength(id);
      bytes.set(this.bytes.subarray(from, from + length), offsets[n]);
      offsets[n + 1] = offsets[n] + length;
      map[id] = n++;
    }
    const sorted = new Int32Array(n);
    let k = 0;
    for (const id of this.sorted) if (map[id] !== NOT_FOUND) sorted[k++] = map[id];
    this.bytes = bytes.length > 2 * offsets[n] + 4096 ? bytes.slice(0, offsets[n] + 4096) : bytes;
    this.offsets = offsets;
    this.sorted = sorted;
    this.terms = n;
    return { map, size: n };
  }

  /** Puts the text's bytes into `key`; returns their count. */
  private encode(text: string): number {
    if (text.length * 3 > this.key.length) this.key = new Uint8Array(text.length * 3);
    return this.encoder.encodeInto(text, this.key).written;
  }

  /** First sorted position whose term is not below key[0, length). */
  private lowerBound(length: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compare(this.sorted[mid], length);
      if (c < 0 || (c === 0 && this.byteLength(this.sorted[mid]) < length)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The term against key[0, length) over their common length: <0, 0 (one prefixes the other) or >0. */
  private compare(id: number, length: number): number {
    const bytes = this.bytes;
    const key = this.key;
    const from = this.offsets[id];
    const n = Math.min(this.offsets[id + 1] - from, length);
    for (let i = 0; i < n; i++) {
      const d = bytes[from + i] - key[i];
      if (d) return d;
    }
    return 0;
  }

  private compareIds(a: number, b: number): number {
    const bytes = this.bytes;
    const fa = this.offsets[a];
    const fb = this.offsets[b];
    const la = this.offsets[a + 1] - fa;
    const lb = this.offsets[b + 1] - fb;
    const n = Math.min(la, lb);
    for (let i = 0; i < n; i++) {
      const d = bytes[fa + i] - bytes[fb + i];
      if (d) return d;
    }
    return la - lb;
  }
}

function grown<T extends Uint8Array | Uint32Array>(a: T, need: number): T {
  const next = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  next.set(a);
  return next;
}

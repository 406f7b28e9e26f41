/**
 * Postings of every term in one byte arena: each term's doc ids ascending, as varint deltas (the
 * first delta from -1), so a doc id costs one byte where docs are close and rarely more than three.
 * Per term four numbers in typed arrays (start, bytes used, bytes reserved, last doc); no object
 * per term or per posting. A list that outgrows its room moves to the arena's end with twice the
 * room, leaving its old bytes as garbage; `rewrite` packs the arena, an eighth of each list's size
 * left free behind it (so small syncs append in place), and renumbers docs and drops terms, when
 * the arena has grown to more than twice the bytes in use (TextIndex.wantsCompaction). Doc ids must be appended ascending per term: the index hands them
 * out in increasing order and renumbers only in order (see TextIndex.compact).
 */

/** Room a new term's list starts with (bytes). */
const FIRST_ROOM = 4;
const NO_DOC = -1;

export class Postings {
  private bytes = new Uint8Array(1024);
  /** Arena bytes handed out (lists and the garbage between them). */
  private top = 0;
  private garbage = 0;
  /** Bytes holding doc ids. */
  private inUse = 0;
  private start = new Uint32Array(64);
  private used = new Uint32Array(64);
  private room = new Uint32Array(64);
  private last = new Int32Array(64).fill(NO_DOC);
  private count = new Uint32Array(64);
  private terms = 0;

  /** Terms with a list (ids 0..termCount-1). */
  get termCount(): number {
    return this.terms;
  }

  /** Bytes holding doc ids. */
  get usedBytes(): number {
    return this.inUse;
  }

  /** Bytes lost to moved lists (rewrite packs them). */
  get garbageBytes(): number {
    return this.garbage;
  }

  /** The arena's bytes not holding doc ids: garbage, room reserved behind lists, room at the end. */
  get wasteBytes(): number {
    return this.bytes.length - this.inUse;
  }

  /** Docs in the term's list (removed docs included until the next rewrite). */
  length(term: number): number {
    return term < this.terms ? this.count[term] : 0;
  }

  /** Appends `doc` to the term's list; doc must be above the list's last doc (equal is ignored). */
  append(term: number, doc: number): void {
    if (term >= this.terms) this.addTerms(term + 1);
    const last = this.last[term];
    if (doc === last) return;
    if (doc < last) throw new RangeError(`postings: doc ${doc} after ${last}`);
    let delta = doc - last;
    const need = varintSize(delta);
    if (this.used[term] + need > this.room[term]) this.move(term, Math.max(FIRST_ROOM, 2 * (this.used[term] + need)));
    let p = this.start[term] + this.used[term];
    const bytes = this.bytes;
    while (delta >= 0x80) {
      bytes[p++] = (delta & 0x7f) | 0x80;
      delta >>>= 7;
    }
    bytes[p++] = delta;
    this.used[term] = p - this.start[term];
    this.inUse += need;
    this.last[term] = doc;
    this.count[term]++;
  }

  /** Decodes the term's doc ids into `out` (at least length(term) long); returns how many. */
  read(term: number, out: Int32Array): number {
    return term < this.terms ? decode(this.bytes, this.start[term], this.start[term] + this.used[term], out) : 0;
  }

  /** The longest list's length (a scratch array this long holds any list). */
  longest(): number {
    let max = 0;
    for (let t = 0; t < this.terms; t++) if (this.count[t] > max) max = this.count[t];
    return max;
  }

  /**
   * Packs every list into a new arena: docs renumbered by `docMap` (old id -> new id, ascending
   * for the docs kept, -1 for removed ones), terms by `termMap` (old id -> new id, -1 for dropped
   * ones; undefined keeps them all). The new ids must keep the old order.
   */
  rewrite(docMap: Int32Array | undefined, termMap?: Int32Array, newTermCount = this.terms): void {
    const old = { bytes: this.bytes, start: this.start, used: this.used };
    const scratch = new Int32Array(Math.max(1, this.longest()));
    const oldTerms = this.terms;
    this.bytes = new Uint8Array(Math.max(1024, this.inUse + (this.inUse >>> 3) + 4 * this.terms));
    this.top = 0;
    this.garbage = 0;
    this.inUse = 0;
    this.terms = 0;
    this.start = new Uint32Array(Math.max(64, newTermCount));
    this.used = new Uint32Array(this.start.length);
    this.room = new Uint32Array(this.start.length);
    this.last = new Int32Array(this.start.length).fill(NO_DOC);
    this.count = new Uint32Array(this.start.length);
    if (newTermCount) this.addTerms(newTermCount);
    for (let t = 0; t < oldTerms; t++) {
      const to = termMap ? termMap[t] : t;
      if (to < 0) continue;
      const n = decode(old.bytes, old.start[t], old.start[t] + old.used[t], scratch);
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const doc = docMap ? docMap[scratch[i]] : scratch[i];
        if (doc >= 0) scratch[kept++] = doc;
      }
      this.place(to, scratch, kept);
    }
  }

  /** Writes a whole list for an empty term, with an eighth of its size free behind it. */
  private place(term: number, docs: Int32Array, n: number): void {
    let size = 0;
    for (let i = 0, prev = NO_DOC; i < n; prev = docs[i++]) size += varintSize(docs[i] - prev);
    const room = size + (size >>> 3);
    this.reserve(room);
    this.start[term] = this.top;
    this.room[term] = room;
    this.top += room;
    for (let i = 0; i < n; i++) this.append(term, docs[i]);
  }

  private move(term: number, room: number): void {
    const from = this.start[term];
    const used = this.used[term];
    // The list at the arena's end grows where it is.
    if (from + this.room[term] === this.top && this.room[term]) {
      this.reserve(room - this.room[term]);
      this.top += room - this.room[term];
      this.room[term] = room;
      return;
    }
    this.reserve(room);
    this.bytes.copyWithin(this.top, from, from + used);
    this.garbage += this.room[term];
    this.start[term] = this.top;
    this.room[term] = room;
    this.top += room;
  }

  private reserve(extra: number): void {
    if (this.top + extra <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.top + extra, this.bytes.length * 2));
    next.set(this.bytes.subarray(0, this.top));
    this.bytes = next;
  }

  private addTerms(n: number): void {
    if (n > this.start.length) {
      const size = Math.max(n, this.start.length * 2);
      const grow = <T extends Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(size);
        b.set(a);
        return b;
      };
      this.start = grow(this.start, (k) => new Uint32Array(k));
      this.used = grow(this.used, (k) => new Uint32Array(k));
      this.room = grow(this.room, (k) => new Uint32Array(k));
      this.count = grow(this.count, (k) => new Uint32Array(k));
      const last = new Int32Array(size).fill(NO_DOC);
      last.set(this.last);
      this.last = last;
    }
    this.terms = n;
  }
}

/** Bytes of a varint (7 bits a byte, low bits first). */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Varint deltas in bytes[from, end) to doc ids in `out`; doc ids stay below 2^31. */
function decode(bytes: Uint8Array, from: number, end: number, out: Int32Array): number {
  let i = from;
  let doc = NO_DOC;
  let n = 0;
  while (i < end) {
    let b = bytes[i++];
    let delta = b & 0x7f;
    let shift = 7;
    while (b & 0x80) {
      b = bytes[i++];
      delta |= (b & 0x7f) << shift;
      shift += 7;
    }
    doc += delta;
    out[n++] = doc;
  }
  return n;
}

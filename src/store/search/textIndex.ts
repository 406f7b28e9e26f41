/**
 * The inverted index behind local search: a term dictionary sorted for prefix lookups (as you
 * type, every word is a prefix; termDictionary.ts), postings as varint deltas in one byte arena
 * (postings.ts), one term space per field (the field's letter leads the term: `s` subject, `f`
 * from, `t` to/cc, `b` body). Doc ids are handed out ascending; removing a document leaves a
 * tombstone that queries skip, and compact() sweeps them out, renumbering the live docs densely
 * (the caller moves its per-doc columns along). No I/O: localIndex.ts persists and feeds it.
 */
import { Postings } from './postings';
import { TermDictionary } from './termDictionary';


export const FIELDS = ['s', 'f', 't', 'b'] as const;
export type Field = (typeof FIELDS)[number];

/** Weight of a match in each field, for ranking. */
export const FIELD_WEIGHT: Record<Field, number> = { s: 3, f: 2.5, t: 1.5, b: 1 };

/** Longest token kept; longer runs (hashes, base64 leftovers) are cut. */
export const MAX_TOKEN_CHARS = 32;

/** Lower case, accents removed, split on anything that is not a letter or digit. */
export function tokenize(text: string): string[] {
  if (!text) return [];
  // Most header text is ASCII: skip the Unicode folding for it (a third of the build time).
  const ascii = ASCII.test(text);
  const folded = ascii ? text.toLowerCase() : text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  const out: string[] = [];
  for (const t of folded.split(ascii ? /[^a-z0-9]+/ : /[^\p{L}\p{N}]+/u)) if (t) out.push(t.length > MAX_TOKEN_CHARS ? t.slice(0, MAX_TOKEN_CHARS) : t);
  return out;
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** Field-qualified, deduplicated terms of a text, at most `max`. */
export function fieldTerms(field: Field, text: string | undefined, into: Set<string>, max = Infinity): void {
  if (!text) return;
  let n = 0;
  for (const t of tokenize(text)) {
    const key = field + t;
    if (into.has(key)) continue;
    into.add(key);
    if (++n >= max) return;
  }
}

/** One query word: its token must prefix-match (or with `exact`, equal) a term in one of `fields`. */
export interface TermGroup {
  token: string;
  fields: readonly Field[];
  exact?: boolean;
}

export class TextIndex {
  private readonly dictionary = new TermDictionary();
  private readonly postings = new Postings();
  private alive = new Uint8Array(1024);
  /** Doc ids handed out (ascending, so postings append in order). */
  private next = 0;
  private live = 0;
  private dead = 0;
  private scratch = new Int32Array(1024);

  /** Highest doc id + 1 (the size of per-doc arrays). */
  get capacity(): number {
    return this.next;
  }

  get size(): number {
    return this.live;
  }

  get termCount(): number {
    return this.dictionary.size;
  }

  /** The term's id, added to the dictionary when new (for addIds). */
  termId(term: string): number {
    return this.dictionary.id(term);
  }

  termAt(id: number): string {
    return this.dictionary.text(id);
  }

  /** Indexes a document's terms (already field-qualified); returns its id. */
  add(terms: Iterable<string>): number {
    const ids: number[] = [];
    for (const t of terms) ids.push(this.dictionary.id(t));
    return this.addIds(ids);
  }

  /** Indexes a document by term ids from termId(); returns its id, above every id before. */
  addIds(termIds: ArrayLike<number>): number {
    const doc = this.next++;
    if (doc >= this.alive.length) {
      const alive = new Uint8Array(this.alive.length * 2);
      alive.set(this.alive);
      this.alive = alive;
    }
    this.alive[doc] = 1;
    this.live++;
    for (let i = 0; i < termIds.length; i++) this.postings.append(termIds[i], doc);
    return doc;
  }

  /** Marks the doc removed: queries skip it, compact() sweeps it out. */
  remove(doc: number): void {
    if (!this.alive[doc]) return;
    this.alive[doc] = 0;
    this.live--;
    this.dead++;
  }

  has(doc: number): boolean {
    return doc < this.next && this.alive[doc] === 1;
  }

  /** Enough removed docs, or postings bytes not in use (moved lists, room), for compact() to pay. */
  get wantsCompaction(): boolean {
    const waste = this.postings.wasteBytes;
    return (this.dead > 1000 && this.dead > this.live / 8) || (waste > 65536 && waste > this.postings.usedBytes);
  }

  /**
   * Sweeps removed docs out of the postings and drops terms no live doc has. The live docs are
   * renumbered 0..size-1 in their order: returns old id -> new id (-1 for removed ones).
   */
  compact(): Int32Array {
    this.dictionary.prepare();
    const map = new Int32Array(this.next).fill(-1);
    let n = 0;
    for (let doc = 0; doc < this.next; doc++) if (this.alive[doc]) map[doc] = n++;
    const keep = (term: number): boolean => {
      const count = this.read(term);
      for (let i = 0; i < count; i++) if (this.alive[this.scratch[i]]) return true;
      return false;
    };
    const terms = this.dictionary.retain(keep);
    this.postings.rewrite(map, terms.map, terms.size);
    this.alive = new Uint8Array(Math.max(1024, n + (n >>> 3)));
    this.alive.fill(1, 0, n);
    this.next = n;
    this.dead = 0;
    return map;
  }

  /** Term ids of each of `docs` (live, ascending by term id): the postings read inverted. */
  termIdsOfDocs(docs: readonly number[]): number[][] {
    const at = new Int32Array(this.next).fill(-1);
    docs.forEach((doc, i) => (at[doc] = i));
    const out = docs.map((): number[] => []);
    for (let term = 0; term < this.dictionary.size; term++) {
      const count = this.read(term);
      for (let i = 0; i < count; i++) {
        const k = at[this.scratch[i]];
        if (k >= 0) out[k].push(term);
      }
    }
    return out;
  }

  /** Sorts the dictionary now (else the next query does). */
  prepare(): void {
    this.dictionary.prepare();
  }

  /**
   * Docs matching every group, with a score: per group the best field weight of a term it
   * prefixes (a whole-word match counts 1.5×), summed. `allowed` (by doc id) filters early.
   * With no groups, every live doc scores 0.
   */
  match(groups: readonly TermGroup[], allowed?: (doc: number) => boolean): { docs: number[]; scores: Float32Array } {
    const n = this.next;
    const alive = this.alive;
    const scores = new Float32Array(n);
    if (!groups.length) {
      const docs: number[] = [];
      for (let d = 0; d < n; d++) if (alive[d] && (!allowed || allowed(d))) docs.push(d);
      return { docs, scores };
    }
    const hits = new Uint16Array(n);
    const best = new Float32Array(n);
    let touched: number[] = [];
    for (let g = 0; g < groups.length; g++) {
      touched = [];
      const { token, fields, exact } = groups[g];
      for (const field of fields) {
        const [from, end, keyLength] = this.dictionary.prefixRange(field + token);
        const to = !exact ? end : from < end && this.dictionary.byteLength(this.dictionary.at(from)) === keyLength ? from + 1 : from;
        for (let i = from; i < to; i++) {
          const termId = this.dictionary.at(i);
          const weight = FIELD_WEIGHT[field] * (this.dictionary.byteLength(termId) === keyLength ? 1.5 : 1);
          const count = this.read(termId);
          const list = this.scratch;
          for (let k = 0; k < count; k++) {
            const doc = list[k];
            if (hits[doc] !== g) continue;
            if (best[doc] === 0) {
              if (g === 0 && (!alive[doc] || (allowed && !allowed(doc)))) continue;
              touched.push(doc);
            }
            if (weight > best[doc]) best[doc] = weight;
          }
        }
      }
      for (const doc of touched) {
        hits[doc] = g + 1;
        scores[doc] += best[doc];
        best[doc] = 0;
      }
      if (!touched.length) break;
    }
    return { docs: touched, scores };
  }

  /** The term's doc ids into this.scratch; returns how many. */
  private read(term: number): number {
    const length = this.postings.length(term);
    if (length > this.scratch.length) this.scratch = new Int32Array(Math.max(length, this.scratch.length * 2));
    return this.postings.read(term, this.scratch);
  }
}

/**
 * The inverted index behind local search: a term dictionary kept sorted for prefix lookups (as
 * you type, every word is a prefix), postings as doc-id arrays, one term space per field (the
 * field's letter leads the term: `s` subject, `f` from, `t` to/cc, `b` body). Removing a document
 * leaves a tombstone that queries skip; compaction sweeps the postings once enough have piled up,
 * and only then are doc ids handed out again. No I/O: localIndex.ts persists and feeds it.
 */

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
  private readonly termIds = new Map<string, number>();
  private readonly terms: string[] = [];
  private readonly postings: number[][] = [];
  /** Term ids in term order; undefined when terms were added since. */
  private sorted: Int32Array | undefined;
  /** Plain arrays, not typed ones: 100,000 small typed arrays cost twice the memory in V8. */
  private readonly docTerms: Array<number[] | undefined> = [];
  private readonly free: number[] = [];
  /** Removed docs whose ids still sit in postings. */
  private tombstones = new Set<number>();
  private live = 0;

  /** Highest doc id + 1 (the size of per-doc arrays). */
  get capacity(): number {
    return this.docTerms.length;
  }

  get size(): number {
    return this.live;
  }

  get termCount(): number {
    return this.terms.length;
  }

  /** The term's id, added to the dictionary when new (for addIds). */
  termId(term: string): number {
    let id = this.termIds.get(term);
    if (id === undefined) {
      id = this.terms.push(term) - 1;
      this.termIds.set(term, id);
      this.postings.push([]);
      this.sorted = undefined;
    }
    return id;
  }

  /** Indexes a document's terms (already field-qualified); returns its id. */
  add(terms: Iterable<string>): number {
    const ids: number[] = [];
    for (const t of terms) ids.push(this.termId(t));
    return this.addIds(ids);
  }

  /** Indexes a document by term ids from termId(); returns its id. */
  addIds(termIds: number[]): number {
    const doc = this.free.length ? (this.free.pop() as number) : this.docTerms.length;
    this.docTerms[doc] = termIds;
    for (const id of termIds) this.postings[id].push(doc);
    this.live++;
    return doc;
  }

  remove(doc: number): void {
    if (!this.docTerms[doc]) return;
    this.docTerms[doc] = undefined;
    this.tombstones.add(doc);
    this.live--;
    if (this.tombstones.size > 1000 && this.tombstones.size > this.live / 8) this.compact();
  }

  has(doc: number): boolean {
    return this.docTerms[doc] !== undefined;
  }

  termsOf(doc: number): string[] {
    const ids = this.docTerms[doc];
    return ids ? Array.from(ids, (id) => this.terms[id]) : [];
  }

  /** The document's term ids (shared: do not change). */
  termIdsOf(doc: number): readonly number[] | undefined {
    return this.docTerms[doc];
  }

  termAt(id: number): string {
    return this.terms[id];
  }

  /** Sweeps removed docs out of the postings; their ids are reused afterwards. */
  compact(): void {
    if (!this.tombstones.size) return;
    const dead = this.tombstones;
    for (let i = 0; i < this.postings.length; i++) {
      const list = this.postings[i];
      if (list.some((d) => dead.has(d))) this.postings[i] = list.filter((d) => !dead.has(d));
    }
    this.free.push(...dead);
    this.tombstones = new Set();
  }

  /** Sorts the dictionary now (else the next query does). */
  prepare(): void {
    if (this.sorted) return;
    const ids = Int32Array.from(this.terms.keys());
    const terms = this.terms;
    ids.sort((a, b) => (terms[a] < terms[b] ? -1 : terms[a] > terms[b] ? 1 : 0));
    this.sorted = ids;
  }

  /**
   * Docs matching every group, with a score: per group the best field weight of a term it
   * prefixes (a whole-word match counts 1.5×), summed. `allowed` (by doc id) filters early.
   * With no groups, every live doc scores 0.
   */
  match(groups: readonly TermGroup[], allowed?: (doc: number) => boolean): { docs: number[]; scores: Float32Array } {
    const n = this.docTerms.length;
    const scores = new Float32Array(n);
    if (!groups.length) {
      const docs: number[] = [];
      for (let d = 0; d < n; d++) if (this.docTerms[d] && (!allowed || allowed(d))) docs.push(d);
      return { docs, scores };
    }
    this.prepare();
    const hits = new Uint16Array(n);
    const best = new Float32Array(n);
    let touched: number[] = [];
    for (let g = 0; g < groups.length; g++) {
      touched = [];
      const { token, fields, exact } = groups[g];
      for (const field of fields) {
        const key = field + token;
        const [from, end] = this.prefixRange(key);
        const to = !exact ? end : from < end && this.terms[(this.sorted as Int32Array)[from]] === key ? from + 1 : from;
        for (let i = from; i < to; i++) {
          const termId = (this.sorted as Int32Array)[i];
          const weight = FIELD_WEIGHT[field] * (this.terms[termId].length === key.length ? 1.5 : 1);
          for (const doc of this.postings[termId]) {
            if (hits[doc] !== g) continue;
            if (best[doc] === 0) {
              if (g === 0 && (!this.docTerms[doc] || (allowed && !allowed(doc)))) continue;
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

  /** [from, to) in the sorted dictionary of the terms starting with `prefix`. */
  private prefixRange(prefix: string): [number, number] {
    const sorted = this.sorted as Int32Array;
    const terms = this.terms;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (terms[sorted[mid]] < prefix) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    while (end < sorted.length && terms[sorted[end]].startsWith(prefix)) end++;
    return [lo, end];
  }
}

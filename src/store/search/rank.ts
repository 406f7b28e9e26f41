/**
 * Ranking of matched docs: the `limit` best by score, then newest, without sorting them all: one
 * number per doc (score in quarters above the date; scores are sums of weights in quarters), the
 * limit-th largest found by selection, then only those sorted.
 */

/** Dates (ms since 1970, shifted to be positive) fit below this; a missing date sorts last. */
const DATE_SPAN = 2 ** 43;
const DATE_SHIFT = 2 ** 42;

/** The `limit` best of `docs` by scores[doc], then by dateOf(doc) (NaN: no date, last). */
export function topK(docs: number[], scores: Float32Array, dateOf: (doc: number) => number, limit: number): number[] {
  const n = docs.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = Math.min(1000, Math.round(scores[docs[i]] * 4)) * DATE_SPAN + dateKey(dateOf(docs[i]));
  let order: number[];
  if (n > limit) {
    const threshold = kthLargest(keys.slice(), limit);
    order = [];
    for (let i = 0; i < n; i++) if (keys[i] > threshold) order.push(i);
    for (let i = 0; i < n && order.length < limit; i++) if (keys[i] === threshold) order.push(i);
  } else {
    order = Array.from(keys.keys());
  }
  return order.sort((a, b) => keys[b] - keys[a]).map((i) => docs[i]);
}

function dateKey(d: number): number {
  return Number.isNaN(d) ? 0 : Math.min(DATE_SPAN - 1, Math.max(1, d + DATE_SHIFT));
}

/** The k-th largest value (1-based), by quickselect; reorders `a`. */
function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}

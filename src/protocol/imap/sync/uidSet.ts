/** IMAP sequence sets ("1:5,7,9:12") of UIDs, without expanding them into one entry per UID. */

export type UidRanges = Array<[number, number]>;

/** Parses a sequence set of numbers (no `*`); ranges come back sorted and merged. */
export function parseUidSet(text: string): UidRanges {
  const ranges: UidRanges = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,10})(?::(\d{1,10}))?\s*$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    ranges.push(a <= b ? [a, b] : [b, a]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: UidRanges = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

export function rangesFromList(uids: Iterable<number>): UidRanges {
  const sorted = [...uids].sort((a, b) => a - b);
  const out: UidRanges = [];
  for (const u of sorted) {
    const last = out[out.length - 1];
    if (last && u <= last[1] + 1) last[1] = Math.max(last[1], u);
    else out.push([u, u]);
  }
  return out;
}

export function containsUid(ranges: UidRanges, uid: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [a, b] = ranges[mid];
    if (uid < a) hi = mid - 1;
    else if (uid > b) lo = mid + 1;
    else return true;
  }
  return false;
}

export function formatUidSet(ranges: UidRanges): string {
  return ranges.map(([a, b]) => (a === b ? String(a) : `${a}:${b}`)).join(',');
}

import { MAX_UID_SET_CHARS } from './limits';

/** Positive 32-bit integers only, sorted ascending, without duplicates. */
export function normalizeUids(uids: readonly number[]): number[] {
  const valid = uids.filter((u) => Number.isInteger(u) && u > 0 && u <= 0xffffffff);
  return [...new Set(valid)].sort((a, b) => a - b);
}

/**
 * Compact IMAP sequence sets ("1:4,7,9:12") for the given UIDs, each at most `maxChars` long so no
 * command line grows past what servers accept (see MAX_UID_SET_CHARS).
 */
export function uidSetChunks(uids: readonly number[], maxChars = MAX_UID_SET_CHARS): string[] {
  const sorted = normalizeUids(uids);
  const chunks: string[] = [];
  let current = '';
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    const part = j > i ? `${sorted[i]}:${sorted[j]}` : String(sorted[i]);
    if (current && current.length + 1 + part.length > maxChars) {
      chunks.push(current);
      current = '';
    }
    current = current ? `${current},${part}` : part;
    i = j + 1;
  }
  if (current) chunks.push(current);
  return chunks;
}

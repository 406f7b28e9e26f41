/**
 * The Received chain for the header inspector: each server that handled the message prepends one
 * Received field (RFC 5321 4.4), so the fields read bottom-up are the hops oldest first.
 */
import { isoDate, headerValue } from './headers';
import { tokenize } from './tokens';
import type { HeaderLine } from './types';

export interface ReceivedHop {
  from?: string;
  by?: string;
  with?: string;
  id?: string;
  for?: string;
  /** ISO 8601 of the date after the last `;`, undefined when missing or unusable. */
  date?: string;
  /** Seconds since the previous hop (the first hop: since the Date header), when both dates are known. */
  delaySeconds?: number;
  /** The field value as received (unfolded, decoded). */
  raw: string;
}

const CLAUSES = new Set(['from', 'by', 'via', 'with', 'id', 'for']);
type Clause = 'from' | 'by' | 'with' | 'id' | 'for';

export function parseReceivedChain(headers: HeaderLine[]): ReceivedHop[] {
  const hops = headers
    .filter((h) => h.name.toLowerCase() === 'received')
    .map((h) => parseReceived(h.value))
    .reverse();
  let previous = isoDate(headerValue(headers, 'date'));
  for (const hop of hops) {
    if (hop.date && previous) hop.delaySeconds = Math.round((Date.parse(hop.date) - Date.parse(previous)) / 1000);
    previous = hop.date ?? undefined;
  }
  return hops;
}

function parseReceived(value: string): ReceivedHop {
  const hop: ReceivedHop = { raw: value };
  // The date follows the last `;` outside comments; a `;` inside `(…)` is text.
  const tokens = tokenize(value);
  const lastSemicolon = tokens.map((t) => t.kind).lastIndexOf(';');
  if (lastSemicolon >= 0) {
    const dateText = tokens.slice(lastSemicolon + 1).filter((t) => t.kind !== 'comment').map((t) => t.text).join(' ');
    const date = isoDate(dateText);
    if (date) hop.date = date;
  }
  const clauses: Partial<Record<Clause | 'via', string[]>> = {};
  let current: Clause | 'via' | undefined;
  for (const t of lastSemicolon >= 0 ? tokens.slice(0, lastSemicolon) : tokens) {
    const keyword = t.kind === 'word' ? t.text.toLowerCase() : '';
    if (CLAUSES.has(keyword) && !(current && clauses[current]?.length === 0)) {
      current = keyword as Clause | 'via';
      clauses[current] ??= [];
      continue;
    }
    if (!current) continue;
    clauses[current]?.push(t.kind === 'comment' ? `(${t.text})` : t.text);
  }
  for (const key of ['from', 'by', 'with', 'id', 'for'] as const) {
    const words = clauses[key];
    if (!words?.length) continue;
    let text = words.join(' ').trim();
    if (key === 'for') text = text.replace(/^<([^<>]*)>/, '$1');
    if (text) hop[key] = text;
  }
  return hop;
}

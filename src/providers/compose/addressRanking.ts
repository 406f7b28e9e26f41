/**
 * Ranks the account's correspondents for address completion: people the user wrote to count more
 * than people who wrote to the user, and recent contact counts more than old. Pure (no vscode), so
 * the ranking is unit-tested in plain Node.
 */
import { loadEngine } from '../../loadEngine';

export interface Sighting {
  name: string;
  address: string;
  /** ms since epoch; undefined when the message had no usable date. */
  at: number | undefined;
}

export interface SentRecord {
  name: string;
  address: string;
  count: number;
  lastUsed: number;
}

export interface RankedAddress {
  name: string;
  /** Lower-cased. */
  address: string;
  /** What completion inserts: `Name <address>`, or the bare address when there is no name. */
  text: string;
  score: number;
}

/** A contact's weight halves every this many days. */
const HALF_LIFE_DAYS = 30;
/** One message the user sent to an address counts like this many received from it. */
const SENT_WEIGHT = 3;
/** Completion lists longer than this are noise. */
export const MAX_SUGGESTIONS = 50;

export function rankAddresses(
  input: { seen: readonly Sighting[]; sent: readonly SentRecord[]; exclude?: readonly string[]; prefix?: string; now?: number },
): RankedAddress[] {
  const now = input.now ?? Date.now();
  const exclude = new Set((input.exclude ?? []).map((a) => a.toLowerCase()));
  const byAddress = new Map<string, { name: string; nameAt: number; score: number }>();
  const add = (name: string, rawAddress: string, at: number | undefined, weight: number): void => {
    const address = rawAddress.trim().toLowerCase();
    if (!isPlausibleAddress(address) || exclude.has(address)) return;
    const when = at ?? 0;
    const entry = byAddress.get(address) ?? { name: '', nameAt: -Infinity, score: 0 };
    entry.score += weight * decay(now, at);
    // The newest non-empty display name wins (people change how they sign).
    const cleanName = name.trim();
    if (cleanName && cleanName.toLowerCase() !== address && when >= entry.nameAt) {
      entry.name = cleanName;
      entry.nameAt = when;
    }
    byAddress.set(address, entry);
  };
  for (const s of input.seen) add(s.name, s.address, s.at, 1);
  for (const r of input.sent) add(r.name, r.address, r.lastUsed, SENT_WEIGHT * Math.max(1, r.count));

  const prefix = (input.prefix ?? '').trim().toLowerCase();
  const ranked: RankedAddress[] = [];
  for (const [address, { name, score }] of byAddress) {
    if (prefix && !matches(prefix, name, address)) continue;
    // Names come from headers: unfolded, but a stray line break must not reach the To line.
    ranked.push({ name, address, text: loadEngine().formatAddress({ name: name.replace(/[\r\n]+/g, ' '), address }), score });
  }
  ranked.sort((a, b) => b.score - a.score || a.address.localeCompare(b.address));
  return ranked.slice(0, MAX_SUGGESTIONS);
}

function decay(now: number, at: number | undefined): number {
  // An undated message still counts, as an old one.
  const ageDays = at === undefined ? 365 : Math.max(0, (now - at) / 86_400_000);
  return Math.pow(0.5, ageDays / HALF_LIFE_DAYS);
}

/** The prefix starts the address, its domain, or any word of the name. */
function matches(prefix: string, name: string, address: string): boolean {
  if (address.startsWith(prefix)) return true;
  const at = address.indexOf('@');
  if (at >= 0 && address.slice(at + 1).startsWith(prefix)) return true;
  const lowerName = name.toLowerCase();
  if (lowerName.startsWith(prefix)) return true;
  return lowerName.split(/[\s,.'"-]+/).some((word) => word.startsWith(prefix));
}

function isPlausibleAddress(address: string): boolean {
  return /^[^\s@<>,]+@[^\s@<>,]+$/.test(address);
}

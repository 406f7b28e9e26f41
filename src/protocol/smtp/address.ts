/**
 * Address lists as the user types them (To/Cc/Bcc in a compose tab) and as headers carry them.
 * Parsing is nodemailer's addressparser (loaded lazily); this module adds the checks it does not
 * make (an entry without an addr-spec is an error, not a silently empty address) and the
 * comparisons reply-all needs.
 */
import { domainToASCII } from 'node:url';
import { MailError } from '../errors';
import { loadMailLibraries } from '../loadMailLibraries';
import type { MailAddress } from '../mime/types';

/** local@domain: no spaces, brackets, commas or quotes; a domain with no empty labels. */
const ADDR_SPEC = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+$/;

/**
 * Parses "Name <a@b>, c@d, Team: e@f;" into mailboxes (groups are flattened). Throws
 * `InvalidAddress` naming the first entry that is not an address. Empty input gives [].
 */
export function parseAddressList(text: string): MailAddress[] {
  if (!text.trim()) return [];
  const { addressparser } = loadMailLibraries();
  const parsed = addressparser(text, { flatten: true });
  const out: MailAddress[] = [];
  for (const entry of parsed) {
    const name = (entry.name ?? '').trim();
    const address = (entry.address ?? '').trim();
    if (!address && !name) continue; // "a@b, ," or "<>"
    if (!address) throw invalid(name);
    if (!isAddrSpec(address)) throw invalid(name ? `${name} <${address}>` : address);
    if (name && isAddrSpec(name)) {
      throw new MailError('InvalidAddress', `Separate the addresses ${address} and ${name} with a comma.`);
    }
    out.push({ name, address });
  }
  return out;
}

function invalid(entry: string): MailError {
  return new MailError('InvalidAddress', `"${entry}" is not an email address.`);
}

/** True for an addr-spec Mailroom will send to (local@domain, Unicode allowed). */
export function isAddrSpec(address: string): boolean {
  if (!ADDR_SPEC.test(address)) return false;
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return !domain.split('.').some((label) => label === '');
}

/** atext (RFC 5322 3.2.3) plus space and any non-ASCII letter (RFC 6532): no quoting needed. */
const PHRASE = /^[\p{L}\p{N}!#$%&'*+\-/=?^_`{|}~ ]+$/u;

/**
 * "Name <a@b>", quoting the display name only when it needs it (commas, dots, @, brackets…).
 * A name equal to the address, or none, gives the bare address.
 */
export function formatAddress(a: MailAddress): string {
  const name = a.name.trim();
  if (!a.address) return name;
  if (!name || name.toLowerCase() === a.address.toLowerCase()) return a.address;
  const phrase = PHRASE.test(name) ? name : `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return `${phrase} <${a.address}>`;
}

export function formatAddressList(list: readonly MailAddress[]): string {
  return list.map(formatAddress).join(', ');
}

/** The form two addresses are compared in: lower case, IDN domain in its ASCII (punycode) form. */
export function normalizeAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address.trim().toLowerCase();
  const local = address.slice(0, at).trim().toLowerCase();
  const domain = address.slice(at + 1).trim().toLowerCase();
  const ascii = domainToASCII(domain);
  return `${local}@${ascii || domain}`;
}

/** Same mailbox: case-insensitive, and `bücher.de` equals `xn--bcher-kva.de`. */
export function sameAddress(a: MailAddress | string, b: MailAddress | string): boolean {
  const x = typeof a === 'string' ? a : a.address;
  const y = typeof b === 'string' ? b : b.address;
  return !!x && !!y && normalizeAddress(x) === normalizeAddress(y);
}

/**
 * Dedupes by address (first position wins, the first non-empty display name is kept), drops
 * empty addresses and those in `exclude` (the user's own addresses).
 */
export function uniqueAddresses(list: readonly MailAddress[], exclude: readonly string[] = []): MailAddress[] {
  const excluded = new Set(exclude.map(normalizeAddress));
  const byKey = new Map<string, MailAddress>();
  for (const a of list) {
    const address = a.address.trim();
    if (!address) continue;
    const key = normalizeAddress(address);
    if (excluded.has(key)) continue;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { name: a.name.trim(), address });
    else if (!seen.name && a.name.trim()) seen.name = a.name.trim();
  }
  return [...byKey.values()];
}

/**
 * Header fields as the MIME layer hands them on: unfolded, RFC 2047 words decoded, raw 8-bit bytes
 * read as UTF-8 (what mailparser does for the values it parses), addresses flattened, ids bare.
 */
import type { AddressObject, EmailAddress, HeaderLines } from 'mailparser';
import { loadMailLibraries } from '../loadMailLibraries';
import type { HeaderLine, MailAddress } from './types';

/** mailparser's raw header lines (`key`, folded `line` as a binary string) → decoded `HeaderLine`s. */
export function decodeHeaderLines(lines: HeaderLines | false | undefined): HeaderLine[] {
  if (!lines) return [];
  return lines.map(({ line }) => {
    const text = Buffer.from(line, 'binary').toString('utf8');
    const colon = text.indexOf(':');
    const name = (colon < 0 ? text : text.slice(0, colon)).trim();
    const folded = colon < 0 ? '' : text.slice(colon + 1);
    return { name, value: decodeWords(unfold(folded).trim()) };
  });
}

/** RFC 5322 unfolding: a line break followed by white space is removed, the white space kept. */
export function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n/g, ' ');
}

/** RFC 2047 encoded words decoded; a value libmime cannot decode is returned as it is. */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return loadMailLibraries().libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/** The last value of a header by name (case-insensitive), or undefined. */
export function headerValue(headers: HeaderLine[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (let i = 0; i < headers.length; i++) if (headers[i].name.toLowerCase() === lower) return headers[i].value;
  return undefined;
}

/** mailparser's address object(s) → `MailAddress[]`, each group's name entry (address '') followed by its members. */
export function toMailAddresses(value: AddressObject | AddressObject[] | undefined): MailAddress[] {
  if (!value) return [];
  const out: MailAddress[] = [];
  const add = (a: EmailAddress): void => {
    if (a.group) {
      out.push({ name: a.name || '', address: '' });
      a.group.forEach(add);
    } else if (a.address || a.name) {
      out.push({ name: a.name || '', address: a.address ?? '' });
    }
  };
  for (const object of Array.isArray(value) ? value : [value]) object.value.forEach(add);
  return out;
}

/** Message ids in a Message-ID / In-Reply-To / References value, without angle brackets, in order. */
export function messageIds(value: string | undefined): string[] {
  if (!value) return [];
  const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]);
  if (bracketed.length) return bracketed;
  // Some mailers omit the brackets; comments such as `(message from …)` are not ids.
  return value.replace(/\([^()]*\)/g, ' ').split(/\s+/).filter((t) => t.includes('@'));
}

/** ISO 8601 of a Date header, or undefined when it is missing or unusable (mailparser substitutes "now"). */
export function isoDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value.trim());
  if (!Number.isNaN(time)) return new Date(time).toISOString();
  // Trailing comments such as `(PST)` or `(added by postmaster)` confuse some parses.
  const stripped = Date.parse(value.replace(/\([^()]*\)/g, ' ').trim());
  return Number.isNaN(stripped) ? undefined : new Date(stripped).toISOString();
}

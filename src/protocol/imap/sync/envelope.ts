/**
 * Turns the items of one FETCH row into a CachedEnvelope: ENVELOPE fields, RFC 2047 encoded
 * words decoded, the Date header with INTERNALDATE as fallback.
 */
import type { CachedEnvelope, EnvelopeAddress } from '../cacheContract';
import type { ImapValue } from './fetchParser';

/** The tree shows one sender and a few recipients; more would only cost cache memory. */
export const MAX_TO_ADDRESSES = 3;

/** What a FETCH row told us, before it becomes an envelope or a flag update. */
export interface FetchRow {
  seq: number;
  uid?: number;
  flags?: string[];
  modseq?: string;
  size?: number;
  internalDate?: string;
  envelope?: ImapValue[];
  /** The text of the header fields fetched with BODY.PEEK[HEADER.FIELDS (...)] (References). */
  headerFields?: string;
}

/** What a sync fetches besides ENVELOPE for threading: In-Reply-To is in ENVELOPE already. */
export const THREAD_HEADER_ITEM = 'BODY.PEEK[HEADER.FIELDS (REFERENCES)]';
/** What a cache written before References were kept fetches once for every cached message. */
export const THREAD_BACKFILL_ITEM = 'BODY.PEEK[HEADER.FIELDS (IN-REPLY-TO REFERENCES)]';
/** References kept per message: the newest ones (threading follows no more, see threads/jwz.ts). */
export const MAX_CACHED_REFERENCES = 100;

export function toFetchRow(seq: number, items: Map<string, ImapValue>): FetchRow {
  const row: FetchRow = { seq };
  const uid = items.get('UID');
  if (typeof uid === 'string' && /^\d{1,10}$/.test(uid)) row.uid = Number(uid);
  const flags = items.get('FLAGS');
  if (Array.isArray(flags)) row.flags = flags.filter((f): f is string => typeof f === 'string' && f.toLowerCase() !== '\\recent');
  const modseq = items.get('MODSEQ');
  const modseqValue = Array.isArray(modseq) ? modseq[0] : modseq;
  if (typeof modseqValue === 'string' && /^\d{1,20}$/.test(modseqValue)) row.modseq = modseqValue;
  const size = items.get('RFC822.SIZE');
  if (typeof size === 'string' && /^\d{1,15}$/.test(size)) row.size = Number(size);
  const internalDate = items.get('INTERNALDATE');
  if (typeof internalDate === 'string') row.internalDate = internalDate;
  const envelope = items.get('ENVELOPE');
  if (Array.isArray(envelope)) row.envelope = envelope;
  // The lean reader names the item as the server does ("BODY[HEADER.FIELDS (REFERENCES)]"),
  // imapflow's reader only as "BODY".
  for (const [name, value] of items) {
    if ((name === 'BODY' || name.startsWith('BODY[HEADER.FIELDS')) && typeof value === 'string') row.headerFields = value;
  }
  return row;
}

/** undefined when the row lacks a UID or an ENVELOPE (e.g. an unsolicited flag update). */
export function rowToEnvelope(row: FetchRow): CachedEnvelope | undefined {
  if (row.uid === undefined || !row.envelope) return undefined;
  const [date, subject, from, , , to, , , , messageId] = row.envelope;
  const envelope: CachedEnvelope = {
    uid: row.uid,
    flags: row.flags ?? [],
    size: row.size ?? 0,
    subject: typeof subject === 'string' ? decodeMimeWords(subject) : '',
  };
  if (row.modseq !== undefined) envelope.modseq = row.modseq;
  const when = parseDate(typeof date === 'string' ? date : undefined) ?? parseInternalDate(row.internalDate);
  if (when !== undefined) envelope.date = new Date(when).toISOString();
  const sender = addresses(from, 1)[0];
  if (sender) envelope.from = sender;
  const recipients = addresses(to, MAX_TO_ADDRESSES);
  if (recipients.length) envelope.to = recipients;
  if (typeof messageId === 'string') {
    const id = messageId.trim().replace(/^<|>$/g, '');
    if (id) envelope.messageId = id;
  }
  const inReplyTo = typeof row.envelope[8] === 'string' ? messageIds(row.envelope[8], 1)[0] : undefined;
  if (inReplyTo) envelope.inReplyTo = inReplyTo;
  const references = row.headerFields ? threadHeaders(row.headerFields).references : [];
  if (references.length) envelope.references = references;
  return envelope;
}

/** The ids (without angle brackets) in a Message-ID list such as References, the last `max` of them. */
export function messageIds(value: string, max: number): string[] {
  const ids: string[] = [];
  for (const m of value.matchAll(/<([^<>\s]{1,998})>/g)) ids.push(m[1]);
  return ids.length > max ? ids.slice(-max) : ids;
}

/** In-Reply-To and References out of the text of fetched header fields (folded lines allowed). */
export function threadHeaders(text: string): { inReplyTo?: string; references: string[] } {
  const fields = text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  let inReplyTo: string | undefined;
  let references: string[] = [];
  for (const line of fields) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name === 'references') references = messageIds(line.slice(colon + 1), MAX_CACHED_REFERENCES);
    else if (name === 'in-reply-to') inReplyTo = messageIds(line.slice(colon + 1), 1)[0];
  }
  return { ...(inReplyTo ? { inReplyTo } : {}), references };
}

function addresses(list: ImapValue | undefined, max: number): EnvelopeAddress[] {
  const out: EnvelopeAddress[] = [];
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (out.length >= max) break;
    // (name adl mailbox host); host NIL marks the start or end of a group: skip those
    if (!Array.isArray(entry) || entry.length < 4) continue;
    const [name, , mailbox, host] = entry;
    if (typeof host !== 'string' || typeof mailbox !== 'string') continue;
    out.push({ name: typeof name === 'string' ? decodeMimeWords(name) : '', address: `${mailbox}@${host}` });
  }
  return out;
}

/** Epoch ms of an RFC 5322 date, or undefined. */
export function parseDate(value: string | undefined): number | undefined {
  if (!value) return undefined;
  // Comments like "(UTC)" and a trailing zone name confuse Date.parse less when dropped. Innermost
  // comments only: `[^)]*` would rescan the rest of the value from every unclosed "(" (quadratic).
  const ms = Date.parse(value.includes('(') ? value.replace(/\([^()]*\)/g, ' ').trim() : value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Epoch ms of an INTERNALDATE ("01-Jan-2020 00:01:00 +0000"), or undefined. */
export function parseInternalDate(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}:\d{2}:\d{2}) ([+-]\d{4})/.exec(value);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]} ${m[2]} ${m[3]} ${m[4]} ${m[5]}`);
  return Number.isNaN(ms) ? undefined : ms;
}

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/**
 * Decodes RFC 2047 encoded words ("=?UTF-8?B?...?="); whitespace between two adjacent encoded
 * words is dropped as the RFC says. Unknown charsets fall back to Latin-1 rather than failing.
 */
export function decodeMimeWords(text: string): string {
  if (!text.includes('=?')) return text;
  let out = '';
  let last = 0;
  let previousWasWord = false;
  for (const match of text.matchAll(ENCODED_WORD)) {
    const index = match.index;
    const between = text.slice(last, index);
    if (!(previousWasWord && /^\s*$/.test(between))) out += between;
    out += decodeWord(match[1], match[2], match[3]);
    last = index + match[0].length;
    previousWasWord = true;
  }
  return out + text.slice(last);
}

function decodeWord(charset: string, encoding: string, data: string): string {
  const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQ(data);
  const label = charset.replace(/\*.*$/, ''); // RFC 2231 language suffix
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function decodeQ(data: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c === '_') out.push(0x20);
    else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(data.slice(i + 1, i + 3))) {
      out.push(parseInt(data.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(data.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

/**
 * A lean reader for the one response that dominates a header sync: `* n FETCH (...)`. imapflow
 * turns every token into an object, every row into an async hop; for 10,000 envelopes that is
 * most of the time spent (see the numbers at the top of ../sync.ts). This reader works on bytes:
 * `responseEnd` finds where one complete response (with its literals) ends, `parseFetch` turns a
 * FETCH response into plain values.
 */
import { MailError } from '../../errors';

/** NIL → null; atoms, numbers, quoted strings and literals → string; lists → arrays. */
export type ImapValue = null | string | ImapValue[];

/**
 * Limits for what the server may send inside one response, in one place:
 * - a literal larger than 64 MiB is not a header field or an envelope (bodies are fetched
 *   through imapflow, never through this reader), so it is refused rather than buffered;
 * - a line of more than 1 MiB without a literal is not a FETCH row of envelope data either;
 * - lists nest 8 deep at most in an ENVELOPE (envelope → address list → address), 32 is plenty.
 */
export const FETCH_LIMITS = { maxLiteralBytes: 64 * 1024 * 1024, maxLineBytes: 1024 * 1024, maxDepth: 32 } as const;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x28;
const CLOSE = 0x29;
const CURLY_OPEN = 0x7b;
const CURLY_CLOSE = 0x7d;
const BRACKET_OPEN = 0x5b;
const BRACKET_CLOSE = 0x5d;

function limitError(what: string, message = 'The server sent a response larger than Mailroom accepts.'): MailError {
  return new MailError('LimitExceeded', message, { detail: what });
}

/**
 * Index just past the CRLF that ends the response starting at `start`, following literals
 * (`{n}` / `{n+}` at a line end); -1 when `buf` does not hold the whole response yet.
 */
export function responseEnd(buf: Buffer, start: number): number {
  let pos = start;
  for (;;) {
    const lf = buf.indexOf(LF, pos);
    if (lf < 0) {
      if (buf.length - pos > FETCH_LIMITS.maxLineBytes) throw limitError(`line longer than ${FETCH_LIMITS.maxLineBytes} bytes`);
      return -1;
    }
    if (lf - pos > FETCH_LIMITS.maxLineBytes) throw limitError(`line longer than ${FETCH_LIMITS.maxLineBytes} bytes`);
    const literal = trailingLiteralSize(buf, pos, lf);
    if (literal < 0) return lf + 1;
    if (literal > FETCH_LIMITS.maxLiteralBytes) throw limitError(`literal of ${literal} bytes`);
    const next = lf + 1 + literal;
    if (next > buf.length) return -1;
    pos = next;
  }
}

/** Size of the literal announced at the end of the line [from, lf), or -1 if none. */
function trailingLiteralSize(buf: Buffer, from: number, lf: number): number {
  let end = lf;
  if (end > from && buf[end - 1] === CR) end--;
  if (end - from < 3 || buf[end - 1] !== CURLY_CLOSE) return -1;
  let i = end - 2;
  if (buf[i] === 0x2b /* + */) i--;
  let size = 0;
  let scale = 1;
  let digits = 0;
  while (i > from && buf[i] >= 0x30 && buf[i] <= 0x39) {
    size += (buf[i] - 0x30) * scale;
    scale *= 10;
    digits++;
    i--;
  }
  if (digits === 0 || digits > 12 || buf[i] !== CURLY_OPEN) return -1;
  return size;
}

/** A complete FETCH response, as parsed by `parseFetch`. */
export interface FetchResponse {
  seq: number;
  /** Item names upper-cased, e.g. UID, FLAGS, ENVELOPE, MODSEQ, RFC822.SIZE, INTERNALDATE. */
  items: Map<string, ImapValue>;
}

/**
 * Parses `* <seq> FETCH (...)` in [start, end) (a range `responseEnd` returned); undefined for
 * any other response. A FETCH response it cannot read throws ProtocolError.
 */
export function parseFetch(buf: Buffer, start: number, end: number): FetchResponse | undefined {
  // "* " digits " FETCH ("
  if (buf[start] !== 0x2a || buf[start + 1] !== SP) return undefined;
  let p = start + 2;
  let seq = 0;
  const digitsFrom = p;
  while (p < end && buf[p] >= 0x30 && buf[p] <= 0x39) seq = seq * 10 + (buf[p++] - 0x30);
  if (p === digitsFrom || p - digitsFrom > 10 || buf[p] !== SP) return undefined;
  if (buf.toString('latin1', p + 1, p + 7).toUpperCase() !== 'FETCH ') return undefined;
  const reader = new Reader(buf, p + 7, end);
  return { seq, items: reader.items() };
}

/**
 * ENVELOPE fields (RFC 3501 7.4.2: date, subject, from, sender, reply-to, to, cc, bcc,
 * in-reply-to, message-id) nobody reads: stepped over without building strings or lists, and
 * given as NIL. Dovecot repeats From as Sender and Reply-To, so this is about a third of a row's
 * values at 100,000 rows (bench imap.headerSync100k). Remove an index here before reading it.
 */
const ENVELOPE_SKIPPED = [false, false, false, true, true, false, true, true, false, false];

/** Tag and status of a tagged response line (`A12 OK ...`), or undefined. */
export function taggedStatus(buf: Buffer, start: number, end: number, tag: string): { status: string; text: string } | undefined {
  const head = buf.toString('latin1', start, Math.min(end, start + tag.length + 1));
  if (head !== `${tag} `) return undefined;
  const line = buf.toString('utf8', start + tag.length + 1, end).replace(/\r?\n$/, '');
  const space = line.indexOf(' ');
  return { status: (space < 0 ? line : line.slice(0, space)).toUpperCase(), text: space < 0 ? '' : line.slice(space + 1) };
}

/** Buffer's native slicers, without toString()'s argument checks (hot path: ~25 calls per row). */
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

class Reader {
  private readonly s: FastSlices;

  constructor(
    private readonly b: Buffer,
    private p: number,
    private readonly end: number,
  ) {
    this.s = b as unknown as FastSlices;
  }

  error(what: string): MailError {
    return new MailError('ProtocolError', 'The server sent a FETCH response Mailroom could not read.', {
      detail: `${what} at: ${this.b.toString('latin1', Math.max(0, this.p - 20), Math.min(this.end, this.p + 40))}`,
    });
  }

  /** The FETCH data list `(NAME value NAME value ...)` as a map of upper-cased names. */
  items(): Map<string, ImapValue> {
    const b = this.b;
    while (this.p < this.end && b[this.p] === SP) this.p++;
    if (b[this.p] !== OPEN) throw this.error('FETCH data is not a list of name/value pairs');
    this.p++;
    const items = new Map<string, ImapValue>();
    for (;;) {
      if (this.closesList()) return items;
      const c = b[this.p];
      const name = c === OPEN || c === QUOTE || c === CURLY_OPEN ? undefined : this.atom();
      if (typeof name !== 'string') throw this.error('FETCH item name is not an atom');
      while (this.p < this.end && b[this.p] === SP) this.p++;
      if (this.p >= this.end || b[this.p] === CLOSE) throw this.error('FETCH data is not a list of name/value pairs');
      const upper = name.toUpperCase();
      items.set(upper, upper === 'ENVELOPE' && b[this.p] === OPEN ? this.envelope() : this.value(1));
    }
  }

  /** Steps over spaces inside a list; at its `)`, steps over that too and says the list ended. */
  private closesList(): boolean {
    const b = this.b;
    while (this.p < this.end && b[this.p] === SP) this.p++;
    if (this.p >= this.end) throw this.error('unterminated list');
    if (b[this.p] !== CLOSE) return false;
    this.p++;
    return true;
  }

  /** An ENVELOPE list, with the fields in ENVELOPE_SKIPPED stepped over (NIL in their place). */
  private envelope(): ImapValue[] {
    this.p++; // (
    const out: ImapValue[] = [];
    for (;;) {
      if (this.closesList()) return out;
      if (ENVELOPE_SKIPPED[out.length]) {
        this.skip(2);
        out.push(null);
      } else out.push(this.value(2));
    }
  }

  /** Steps over one value as `value()` would read it, building nothing. */
  private skip(depth: number): void {
    const b = this.b;
    while (this.p < this.end && b[this.p] === SP) this.p++;
    if (this.p >= this.end) throw this.error('unexpected end of response');
    const c = b[this.p];
    if (c === QUOTE) {
      this.p++;
      while (this.p < this.end) {
        const q = b[this.p];
        if (q === QUOTE) {
          this.p++;
          return;
        }
        if (q === CR || q === LF) break;
        this.p += q === BACKSLASH ? 2 : 1;
      }
      throw this.error('unterminated quoted string');
    }
    if (c === CURLY_OPEN) {
      this.literal();
      return;
    }
    if (c !== OPEN) {
      this.atom();
      return;
    }
    if (depth + 1 > FETCH_LIMITS.maxDepth) throw limitError(`lists nested more than ${FETCH_LIMITS.maxDepth} deep`, 'The server sent a response nested deeper than Mailroom accepts.');
    this.p++;
    for (;;) {
      if (this.closesList()) return;
      this.skip(depth + 1);
    }
  }

  value(depth: number): ImapValue {
    const b = this.b;
    while (this.p < this.end && b[this.p] === SP) this.p++;
    if (this.p >= this.end) throw this.error('unexpected end of response');
    const c = b[this.p];
    if (c === OPEN) return this.list(depth + 1);
    if (c === QUOTE) return this.quoted();
    if (c === CURLY_OPEN) return this.literal();
    return this.atom();
  }

  private list(depth: number): ImapValue[] {
    if (depth > FETCH_LIMITS.maxDepth) throw limitError(`lists nested more than ${FETCH_LIMITS.maxDepth} deep`, 'The server sent a response nested deeper than Mailroom accepts.');
    this.p++; // (
    const out: ImapValue[] = [];
    for (;;) {
      if (this.closesList()) return out;
      out.push(this.value(depth));
    }
  }

  private quoted(): string {
    const b = this.b;
    const from = ++this.p;
    let escaped = false;
    let ascii = true;
    while (this.p < this.end) {
      const c = b[this.p];
      if (c === QUOTE) {
        const s = escaped ? unescapeQuoted(b, from, this.p) : ascii ? this.s.latin1Slice(from, this.p) : this.s.utf8Slice(from, this.p);
        this.p++;
        return s;
      }
      if (c >= 0x80) ascii = false;
      if (c === BACKSLASH) {
        escaped = true;
        this.p += 2;
        continue;
      }
      if (c === CR || c === LF) break;
      this.p++;
    }
    throw this.error('unterminated quoted string');
  }

  private literal(): string {
    const b = this.b;
    let p = this.p + 1;
    let size = 0;
    while (p < this.end && b[p] >= 0x30 && b[p] <= 0x39) size = size * 10 + (b[p++] - 0x30);
    if (b[p] === 0x2b) p++;
    if (b[p] !== CURLY_CLOSE) throw this.error('bad literal marker');
    p++;
    if (b[p] === CR) p++;
    if (b[p] !== LF) throw this.error('literal marker not at line end');
    p++;
    if (p + size > this.end) throw this.error('literal longer than the response');
    this.p = p + size;
    return this.s.utf8Slice(p, p + size);
  }

  private atom(): string | null {
    const b = this.b;
    const from = this.p;
    let bracket = 0;
    while (this.p < this.end) {
      const c = b[this.p];
      if (c === BRACKET_OPEN) bracket++;
      else if (c === BRACKET_CLOSE) bracket--;
      else if (bracket <= 0 && (c === SP || c === OPEN || c === CLOSE || c === CR || c === LF)) break;
      this.p++;
    }
    if (this.p === from) throw this.error('expected a value');
    if (this.p - from === 3 && (b[from] | 0x20) === 0x6e && (b[from + 1] | 0x20) === 0x69 && (b[from + 2] | 0x20) === 0x6c) return null;
    return this.s.latin1Slice(from, this.p);
  }
}

function unescapeQuoted(b: Buffer, from: number, to: number): string {
  const out = Buffer.allocUnsafe(to - from);
  let n = 0;
  for (let i = from; i < to; i++) {
    if (b[i] === BACKSLASH && i + 1 < to) i++;
    out[n++] = b[i];
  }
  return out.toString('utf8', 0, n);
}

/**
 * The few header fields the tree shows (Subject, From, Date, Message-ID), read from a message's
 * header block only. mailparser would parse the whole MIME tree; a check that indexes thousands of
 * messages needs just these four, so this is a small parser with its own RFC 2047 decoder.
 */

export interface HeaderFields {
  subject: string;
  from?: { name: string; address: string };
  /** ISO 8601, when the Date header parses. */
  date?: string;
  messageId?: string;
}

/**
 * Length of the header block including the blank line that ends it (the whole buffer when none).
 * Scans only up to that blank line (CRLF CRLF, or bare LF LF), not through the body.
 */
export function headerBlockLength(bytes: Buffer): number {
  if (bytes[0] === 0x0a) return 1; // no header fields at all
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return 2;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) {
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return bytes.length;
}

/** Unfolded header fields in order; names lower-cased. Reads only up to the blank line. */
export function readHeaderLines(bytes: Buffer): Array<[string, string]> {
  const block = decodeHeaderBytes(bytes.subarray(0, headerBlockLength(bytes)));
  const fields: Array<[string, string]> = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '') break;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0) {
      fields[fields.length - 1][1] += line; // unfold: the CRLF goes, the whitespace stays
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // not a field (e.g. an mbox "From " line): ignore
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return fields;
}

export function parseHeaderFields(bytes: Buffer): HeaderFields {
  const fields = readHeaderLines(bytes);
  const first = (name: string): string | undefined => fields.find(([n]) => n === name)?.[1];
  const result: HeaderFields = { subject: decodeEncodedWords(first('subject') ?? '') };
  const from = first('from');
  if (from !== undefined) {
    const address = parseFirstAddress(from);
    if (address) result.from = address;
  }
  const date = parseDate(first('date'));
  if (date) result.date = date;
  const messageId = first('message-id')?.trim();
  if (messageId) result.messageId = messageId;
  return result;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Raw 8-bit header bytes: UTF-8 when valid (RFC 6532), otherwise Latin-1 so no byte is lost. */
function decodeHeaderBytes(bytes: Buffer): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/**
 * Decodes RFC 2047 encoded words. Whitespace between adjacent encoded words is dropped, and the
 * bytes of adjacent words in the same charset are joined before decoding, so a multi-byte
 * character split across two words survives. Unknown charsets fall back to Latin-1.
 */
export function decodeEncodedWords(text: string): string {
  if (!text.includes('=?')) return text; // no encoded word: most subjects and names
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  const flush = (): void => {
    if (pending) out += decodeCharset(Buffer.concat(pending.bytes), pending.charset);
    pending = undefined;
  };
  for (const match of text.matchAll(ENCODED_WORD)) {
    const index = match.index;
    const between = text.slice(last, index);
    const charset = match[1].split('*')[0].toLowerCase(); // RFC 2231 language suffix
    const bytes = match[2].toUpperCase() === 'B' ? Buffer.from(match[3], 'base64') : decodeQ(match[3]);
    if (!(pending && /^[ \t\r\n]*$/.test(between))) {
      flush();
      out += between;
    }
    if (pending && pending.charset === charset) pending.bytes.push(bytes);
    else {
      flush();
      pending = { charset, bytes: [bytes] };
    }
    last = index + match[0].length;
  }
  flush();
  return out + text.slice(last);
}

function decodeQ(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '_') bytes.push(0x20);
    else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes);
}

function decodeCharset(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** The first mailbox of an address list: `"Name" <a@b>`, `Name <a@b>`, `<a@b>`, `a@b (Name)`, `a@b`. */
export function parseFirstAddress(value: string): { name: string; address: string } | undefined {
  const first = splitTopLevel(stripGroupName(value))[0]?.trim();
  if (!first) return undefined;
  const angle = /^(.*?)<([^>]*)>/.exec(first);
  if (angle) {
    return { name: cleanName(angle[1]), address: angle[2].trim() };
  }
  const comment = /^([^\s(]+)\s*\((.*)\)\s*$/.exec(first);
  if (comment) return { name: cleanName(comment[2]), address: comment[1] };
  return { name: '', address: first.replace(/\s+/g, '') };
}

/** `Undisclosed: a@b, c@d;` → `a@b, c@d` (a display name followed by a colon outside quotes). */
function stripGroupName(value: string): string {
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '<' || c === '@')) return value;
    else if (!quoted && c === ':') return value.slice(i + 1).replace(/;\s*$/, '');
  }
  return value;
}

/** Splits on commas that are outside quotes, angle brackets and comments. */
function splitTopLevel(value: string): string[] {
  const parts: string[] = [];
  let depthAngle = 0;
  let depthParen = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === '<') depthAngle++;
    else if (c === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (c === '(') depthParen++;
    else if (c === ')') depthParen = Math.max(0, depthParen - 1);
    else if (c === ',' && depthAngle === 0 && depthParen === 0) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.filter((p) => p.trim() !== '');
}

function cleanName(raw: string): string {
  let name = raw.trim();
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) {
    name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return decodeEncodedWords(name).trim();
}

function parseDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  // Comments such as "(UTC)" or "(CET)" trip Date.parse; drop them.
  const cleaned = (value.includes('(') ? value.replace(/\([^)]*\)/g, ' ') : value).replace(/\s+/g, ' ').trim();
  const ms = Date.parse(cleaned);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

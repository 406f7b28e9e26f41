/**
 * The compose document: what the user edits in a `mailroom-compose` editor tab.
 *
 *     From: Alice Example <alice@example.com>
 *     To: Bob <bob@example.com>, carol@example.com
 *     Cc:
 *     Bcc:
 *     Subject: Re: Lunch
 *     Attach: agenda.pdf
 *
 *     Markdown body…
 *
 * An RFC 822-like header block (names case-insensitive, continuation lines start with white
 * space), ONE empty line, then the Markdown body. `Attach:` names one file of the compose session
 * per line; deleting the line (or the name) drops the attachment. Pure: no vscode, no file system.
 */
import { formatAddressList, parseAddressList } from './address';

export type AddressField = 'to' | 'cc' | 'bcc';

/** What the user wrote, as text: addresses are parsed (and refused) when sending. */
export interface ComposeDraft {
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  /** Attachment file names (of files in the compose session's folder), in document order. */
  attach: string[];
  /** Markdown, lines joined with "\n". */
  body: string;
}

export interface ComposeProblem {
  /** 0-based line of the document. */
  line: number;
  message: string;
  /** 'error' blocks sending; 'warning' is shown but does not. */
  severity: 'error' | 'warning';
}

export interface ParsedComposeDocument extends ComposeDraft {
  problems: ComposeProblem[];
  /** 0-based line where the body starts (the line after the empty separator line). */
  bodyLine: number;
  /** Header fields Mailroom does not know; ignored when sending (and reported as problems). */
  unknownHeaders: Array<{ name: string; value: string; line: number }>;
}

/** What a new message starts with (from a `mailto:` link or the command's arguments). */
export interface NewMessageInit {
  to?: string;
  cc?: string;
  bcc?: string;
  subject?: string;
  body?: string;
}

/** Header names as written in a new document, in this order. */
const HEADER_NAMES = { from: 'From', to: 'To', cc: 'Cc', bcc: 'Bcc', subject: 'Subject', attach: 'Attach' } as const;
type KnownKey = keyof typeof HEADER_NAMES;
const KNOWN = new Map<string, KnownKey>(Object.entries(HEADER_NAMES).map(([key, name]) => [name.toLowerCase(), key as KnownKey]));

/** A header line: a name of printable ASCII without ":" or spaces, then ":". */
const HEADER_LINE = /^([!-9;-~]+):[ \t]?(.*)$/;
/** Address lists longer than this are folded after a comma when written (readability, not RFC). */
const FOLD_WIDTH = 78;

export function parseComposeDocument(text: string): ParsedComposeDocument {
  const lines = splitLines(text);
  const result: ParsedComposeDocument = { from: '', to: '', cc: '', bcc: '', subject: '', attach: [], body: '', problems: [], bodyLine: lines.length, unknownHeaders: [] };
  const seen = new Set<KnownKey>();
  let current: { key: KnownKey | undefined; name: string; value: string; line: number } | undefined;

  const finish = (): void => {
    if (!current) return;
    const { key, name, value, line } = current;
    current = undefined;
    if (!key) {
      result.unknownHeaders.push({ name, value, line });
      result.problems.push({ line, severity: 'warning', message: `Unknown header “${name}” is ignored. Mailroom understands From, To, Cc, Bcc, Subject and Attach.` });
      return;
    }
    if (key === 'attach') {
      if (value) result.attach.push(value);
      return;
    }
    if (key === 'to' || key === 'cc' || key === 'bcc') {
      // Repeated address headers add up, as a user writing two To: lines means.
      result[key] = [result[key], value].filter((v) => v.trim() !== '').join(', ');
      seen.add(key);
      return;
    }
    if (seen.has(key)) {
      result.problems.push({ line, severity: 'error', message: `${HEADER_NAMES[key]} appears more than once; keep one.` });
      return;
    }
    seen.add(key);
    result[key] = value;
  };

  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') {
      finish();
      result.bodyLine = i + 1;
      break;
    }
    if (/^[ \t]/.test(line)) {
      if (current) {
        // Folded header: the continuation joins the value with one space (Attach: one name per line).
        const piece = line.trim();
        if (current.key === 'attach') {
          finish();
          current = { key: 'attach', name: 'Attach', value: piece, line: i };
        } else current.value = current.value ? `${current.value} ${piece}` : piece;
        continue;
      }
      result.problems.push({ line: i, severity: 'error', message: 'The document must start with a header such as “To:”.' });
      result.bodyLine = i;
      break;
    }
    const match = HEADER_LINE.exec(line);
    if (!match) {
      finish();
      result.problems.push({
        line: i,
        severity: 'error',
        message: i === 0 ? 'The document must start with the header block (From, To, Cc, Bcc, Subject).' : 'Add an empty line between the headers and the message text.',
      });
      result.bodyLine = i;
      break;
    }
    finish();
    const name = match[1]!;
    current = { key: KNOWN.get(name.toLowerCase()), name, value: match[2]!.trim(), line: i };
  }
  if (i >= lines.length) {
    // The whole document is headers (no separator): the body is empty.
    finish();
    result.bodyLine = lines.length;
  }
  result.body = lines.slice(result.bodyLine).join('\n');
  return result;
}

/** Writes a draft as a compose document (LF line ends). Every known header is present, even empty. */
export function serializeComposeDocument(draft: Partial<ComposeDraft>): string {
  const out: string[] = [];
  out.push(`From: ${oneLine(draft.from ?? '')}`.trimEnd());
  for (const key of ['to', 'cc', 'bcc'] as const) out.push(foldAddressLine(HEADER_NAMES[key], oneLine(draft[key] ?? '')));
  out.push(`Subject: ${oneLine(draft.subject ?? '')}`.trimEnd());
  for (const name of draft.attach ?? []) if (oneLine(name)) out.push(`Attach: ${oneLine(name)}`);
  out.push('');
  return out.join('\n') + '\n' + (draft.body ?? '').replace(/\r\n?/g, '\n');
}

/** 0-based line of a header in a document written by serializeComposeDocument (or parsed). */
export function headerLineOf(text: string, field: KnownKey): number | undefined {
  const wanted = HEADER_NAMES[field].toLowerCase();
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') return undefined;
    const match = HEADER_LINE.exec(line);
    if (match && match[1]!.toLowerCase() === wanted) return i;
  }
  return undefined;
}

/**
 * Where address completion applies: the cursor is in the value of a To/Cc/Bcc header (or one of
 * its continuation lines), after ":" or ",". `prefix` is what was typed of the current address,
 * `start` its 0-based column on the cursor's line.
 */
export function addressFieldAt(lines: readonly string[], line: number, character: number): { field: AddressField; prefix: string; start: number } | undefined {
  if (line < 0 || line >= lines.length) return undefined;
  // Inside the header block only: no empty line between the start and the cursor's line.
  for (let i = 0; i <= line; i++) if (lines[i]!.trim() === '') return undefined;
  let headerLine = line;
  while (headerLine > 0 && /^[ \t]/.test(lines[headerLine]!)) headerLine--;
  const match = HEADER_LINE.exec(lines[headerLine]!);
  if (!match) return undefined;
  const key = KNOWN.get(match[1]!.toLowerCase());
  if (key !== 'to' && key !== 'cc' && key !== 'bcc') return undefined;
  const text = lines[line]!;
  const valueStart = headerLine === line ? match[1]!.length + 1 : 0;
  if (character < valueStart) return undefined;
  const before = text.slice(valueStart, character);
  // Commas inside quotes or angle brackets do not separate addresses.
  let cut = -1;
  let quoted = false;
  let angle = false;
  for (let k = 0; k < before.length; k++) {
    const c = before[k];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') angle = true;
    else if (!quoted && c === '>') angle = false;
    else if (!quoted && !angle && c === ',') cut = k;
  }
  const rest = before.slice(cut + 1);
  const lead = rest.length - rest.trimStart().length;
  return { field: key, prefix: rest.trimStart(), start: valueStart + cut + 1 + lead };
}

function splitLines(text: string): string[] {
  const clean = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return clean.split(/\r\n|\r|\n/);
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+[ \t]*/g, ' ').trim();
}

/** `To: a, b, …` folded after commas so no line passes FOLD_WIDTH when that is possible. */
function foldAddressLine(name: string, value: string): string {
  const head = `${name}:`;
  if (!value) return head;
  const parts = splitTopLevelCommas(value);
  const lines: string[] = [];
  let line = `${head} ${parts[0]}`;
  for (const part of parts.slice(1)) {
    // +1: the comma that ends a folded line.
    if (line.length + 2 + part.length + 1 > FOLD_WIDTH) {
      lines.push(`${line},`);
      line = `    ${part}`;
    } else line = `${line}, ${part}`;
  }
  lines.push(line);
  return lines.join('\n');
}

function splitTopLevelCommas(value: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let angle = false;
  let start = 0;
  for (let k = 0; k < value.length; k++) {
    const c = value[k];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') angle = true;
    else if (!quoted && c === '>') angle = false;
    else if (!quoted && !angle && c === ',') {
      parts.push(value.slice(start, k).trim());
      start = k + 1;
    }
  }
  parts.push(value.slice(start).trim());
  return parts.filter((p) => p !== '');
}

/**
 * A `mailto:` URI (RFC 6068) or a plain address list as handed to `mailroom.compose`. Unknown
 * fields are ignored; only to/cc/bcc/subject/body are used.
 */
export function parseMailto(value: string): NewMessageInit {
  const text = value.trim();
  if (!/^mailto:/i.test(text)) return { to: text };
  const rest = text.slice('mailto:'.length);
  const q = rest.indexOf('?');
  const target = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q + 1);
  const init: NewMessageInit = {};
  const decode = (s: string): string => {
    try {
      // RFC 6068: "+" is itself (bob+tag@…), spaces come as %20.
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const to = [decode(target)];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).toLowerCase();
    const value = decode(pair.slice(eq + 1));
    if (key === 'to') to.push(value);
    else if (key === 'cc' || key === 'bcc' || key === 'subject' || key === 'body') init[key] = value.replace(/\r\n?/g, '\n');
  }
  init.to = to.filter((t) => t.trim()).join(', ');
  // A malformed address is left for the user to fix in the tab; it is refused when sending.
  try {
    init.to = formatAddressList(parseAddressList(init.to));
  } catch {
    // keep as written
  }
  return init;
}

/**
 * Message templates: Markdown files that start with the compose header block (composeDocument.ts),
 * with placeholders such as `${to.name}` filled in from what is known when the template is used.
 *
 * Expansion is a lookup, never evaluation: `${…}` names a placeholder from PLACEHOLDERS or stays
 * as written (and is reported); a value is inserted once and never expanded again, so a name or a
 * selection that itself contains `${…}` comes out as text. In header fields values are one line
 * (a newline in a value cannot start another header), and in address fields a name is quoted
 * when it needs it, so "Doe, John" stays one recipient. A file without a header block is all body.
 * Pure: no vscode, no file system.
 */
import type { MailAddress } from '../mime/types';
import { formatAddress, isAddrSpec, parseAddressList } from './address';
import { ComposeDraft, parseComposeDocument } from './composeDocument';

/** What a template can ask for; `cursor` marks where the cursor goes (body only). */
export const PLACEHOLDERS = ['to', 'to.name', 'to.address', 'date', 'time', 'selection', 'identity.name', 'identity.address', 'signature', 'cursor'] as const;
export type PlaceholderName = (typeof PLACEHOLDERS)[number];

export interface TemplateContext {
  /** The first recipient, when known. */
  to?: MailAddress;
  identity?: { name: string; address: string; signature?: string };
  /** Text the user had selected when the template was chosen. */
  selection?: string;
  now: Date;
  /** IANA zone for date and time (default: the computer's); tests pass 'UTC'. */
  timeZone?: string;
}

export interface ExpandedTemplate {
  draft: Omit<ComposeDraft, 'attach'>;
  /** Header fields the template sets (the others stay as the caller has them). */
  headers: Array<'from' | 'to' | 'cc' | 'bcc' | 'subject'>;
  /** Character offset in `draft.body` of the first `${cursor}`, if any. */
  cursor?: number;
  /** Placeholders Mailroom does not know: left in the text as written. */
  unknown: string[];
  /** Known placeholders that had no value (no recipient yet): left in the text as written. */
  unfilled: string[];
  /** Other things the user should know (headers ignored). */
  notes: string[];
}

/** `${name}`: up to 64 characters without braces or line breaks between the braces. */
const PLACEHOLDER = /\$\{([^{}\r\n]{1,64})\}/g;
const KNOWN: ReadonlySet<string> = new Set(PLACEHOLDERS);
/** atext plus space: a display name that needs no quotes in an address field. */
const PHRASE = /^[\p{L}\p{N}!#$%&'*+\-/=?^_`{|}~ ]*$/u;

type Mode = 'body' | 'header' | 'address';

export function expandTemplate(text: string, context: TemplateContext): ExpandedTemplate {
  const result: ExpandedTemplate = { draft: { from: '', to: '', cc: '', bcc: '', subject: '', body: '' }, headers: [], unknown: [], unfilled: [], notes: [] };
  const parsed = parseComposeDocument(text);
  const headerless = parsed.problems.some((p) => p.severity === 'error' && p.line === 0);
  const values = valuesOf(context);
  const expand = (value: string, mode: Mode): { text: string; cursor?: number } => expandText(value, values, mode, result);
  if (headerless) {
    const body = expand(text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'), 'body');
    result.draft.body = body.text;
    if (body.cursor !== undefined) result.cursor = body.cursor;
    return result;
  }
  for (const field of ['from', 'to', 'cc', 'bcc'] as const) {
    if (parsed[field].trim() === '') continue;
    result.draft[field] = expand(parsed[field], 'address').text;
    result.headers.push(field);
  }
  if (parsed.subject.trim() !== '') {
    result.draft.subject = expand(parsed.subject, 'header').text;
    result.headers.push('subject');
  }
  const body = expand(parsed.body, 'body');
  result.draft.body = body.text;
  if (body.cursor !== undefined) result.cursor = body.cursor;
  if (parsed.attach.length) result.notes.push('Attach lines of a template are ignored: attach files to the message itself.');
  for (const h of parsed.unknownHeaders) result.notes.push(`The header “${h.name}” of the template is ignored.`);
  for (const p of parsed.problems.filter((p) => p.severity === 'error')) result.notes.push(`Template line ${p.line + 1}: ${p.message}`);
  return result;
}

function valuesOf(context: TemplateContext): Map<PlaceholderName, string | undefined> {
  const zone = context.timeZone ? { timeZone: context.timeZone } : {};
  const date = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', ...zone }).format(context.now);
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, ...zone }).format(context.now);
  const to = context.to?.address ? context.to : undefined;
  return new Map<PlaceholderName, string | undefined>([
    ['to', to ? formatAddress(to) : undefined],
    ['to.name', to ? to.name || to.address : undefined],
    ['to.address', to?.address],
    ['date', date],
    ['time', time],
    ['selection', context.selection],
    ['identity.name', context.identity ? context.identity.name || context.identity.address : undefined],
    ['identity.address', context.identity?.address],
    ['signature', context.identity ? (context.identity.signature ?? '') : undefined],
    ['cursor', ''],
  ]);
}

function expandText(text: string, values: Map<PlaceholderName, string | undefined>, mode: Mode, report: ExpandedTemplate): { text: string; cursor?: number } {
  let out = '';
  let last = 0;
  let cursor: number | undefined;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const at = match.index;
    out += text.slice(last, at);
    last = at + match[0].length;
    const name = match[1]!.trim();
    if (!KNOWN.has(name)) {
      addOnce(report.unknown, match[0]);
      out += match[0];
      continue;
    }
    if (name === 'cursor') {
      if (mode === 'body' && cursor === undefined) cursor = out.length;
      continue;
    }
    const value = fieldValue(name as PlaceholderName, values.get(name as PlaceholderName), mode);
    if (value === undefined) {
      addOnce(report.unfilled, match[0]);
      out += match[0];
      continue;
    }
    out += value;
  }
  out += text.slice(last);
  return cursor === undefined ? { text: out } : { text: out, cursor };
}

/** A value as it may appear in this kind of field, or undefined when it has none (or none that fits). */
function fieldValue(name: PlaceholderName, value: string | undefined, mode: Mode): string | undefined {
  if (value === undefined) return undefined;
  if (mode === 'body') return name === 'signature' ? (value ? `-- \n${value}` : '') : value.replace(/\r\n?/g, '\n');
  // eslint-disable-next-line no-control-regex -- a header value carries no control characters
  const line = value.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (mode === 'header') return line;
  // Address fields: an address must be one; a name is quoted when it has specials (commas, <, @…).
  if (name === 'to.address' || name === 'identity.address') return isAddrSpec(line) ? line : undefined;
  if (name === 'to') {
    try {
      return parseAddressList(line).length === 1 ? line : undefined;
    } catch {
      return undefined;
    }
  }
  if (name === 'to.name' || name === 'identity.name') return PHRASE.test(line) ? line : `"${line.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  // Anything else in an address field (a date, a selection) must not add recipients.
  return line.replace(/[,;<>"]/g, ' ').trim();
}

function addOnce(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}

/** The template's name as offered: its file name without the extension. */
export function templateName(fileName: string): string {
  return fileName.replace(/\.(md|markdown|mail)$/i, '');
}

/** Known placeholders left in a compose document (a template's that had no value): line and text. */
export function leftoverPlaceholders(text: string): Array<{ line: number; placeholder: string }> {
  const found: Array<{ line: number; placeholder: string }> = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (const [line, content] of lines.entries()) {
    if (!content.includes('${')) continue;
    for (const match of content.matchAll(PLACEHOLDER)) if (KNOWN.has(match[1]!.trim())) found.push({ line, placeholder: match[0] });
  }
  return found;
}

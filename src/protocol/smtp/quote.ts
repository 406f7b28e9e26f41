/**
 * Quoting the original in a reply, the way plain-text mail clients do it.
 *
 * Choices: line endings become "\n" (the compose document's; the MIME builder writes CRLF); the
 * original's signature (everything from the last "-- " line, RFC 3676 4.3) is left out, as
 * RFC 3676 suggests for replies; trailing blank lines are dropped. Lines already quoted get one
 * more ">" without a space (">> a"), blank lines become ">", others get "> ".
 */
import type { MailAddress, ParsedMessage } from '../mime/types';
import { formatAddress } from './address';

export function quoteText(text: string): string {
  const lines = stripSignature(text.replace(/\r\n?/g, '\n').split('\n'));
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  while (lines.length && lines[0].trim() === '') lines.shift();
  return lines.map((line) => (line === '' ? '>' : line.startsWith('>') ? `>${line}` : `> ${line}`)).join('\n');
}

function stripSignature(lines: string[]): string[] {
  const at = lines.lastIndexOf('-- ');
  return at >= 0 ? lines.slice(0, at) : lines;
}

export interface DateFormatOptions {
  /** IANA zone for the date shown (default: the computer's); tests pass 'UTC'. */
  timeZone?: string;
}

/** "Mon, 1 Jan 2024 at 10:05" in the given or local time zone; undefined for an unusable date. */
export function formatMailDate(iso: string | undefined, options: DateFormatOptions = {}): string | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  const parts = new Intl.DateTimeFormat('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('weekday')}, ${get('day')} ${get('month')} ${get('year')} at ${get('hour')}:${get('minute')}`;
}

/** "Name <a@b>" of the first sender, or "Unknown sender". */
export function senderLabel(from: readonly MailAddress[]): string {
  const first = from.find((a) => a.address || a.name);
  return first ? formatAddress(first) : 'Unknown sender';
}

/** "On <date>, Name <a@b> wrote:"; without a usable date "Name <a@b> wrote:". */
export function attribution(original: ParsedMessage, options: DateFormatOptions = {}): string {
  const who = senderLabel(original.from);
  const when = formatMailDate(original.date, options);
  return when ? `On ${when}, ${who} wrote:` : `${who} wrote:`;
}

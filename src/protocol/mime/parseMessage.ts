import type { AddressObject, EmailAddress } from 'mailparser';
import type { AttachmentSummary } from '../../shared/messageView';
import { loadMailLibraries } from '../loadMailLibraries';

export interface ParsedMessage {
  subject: string;
  from: string;
  to: string;
  cc: string;
  date: string;
  text: string;
  textTruncated: boolean;
  attachments: AttachmentSummary[];
}

/**
 * Text shown in the panel is cut here: a multi-megabyte text part would freeze the webview and
 * nobody reads that much in a panel (View Source shows it whole).
 */
export const MAX_DISPLAY_TEXT_CHARS = 1_000_000;
/** HTML larger than this is not converted to text (mailparser's own bound). */
const MAX_HTML_TO_PARSE = 5 * 1024 * 1024;

/**
 * Parses RFC 822 bytes into what the plain-text view shows. HTML-only mail is converted to text
 * by mailparser; attachments are summarized, their content is dropped at once.
 */
export async function parseMessage(source: Buffer): Promise<ParsedMessage> {
  const { simpleParser } = loadMailLibraries();
  const parsed = await simpleParser(source, {
    skipImageLinks: true,
    maxHtmlLengthToParse: MAX_HTML_TO_PARSE,
  });
  const fullText = parsed.text ?? '';
  const textTruncated = fullText.length > MAX_DISPLAY_TEXT_CHARS;
  return {
    subject: parsed.subject ?? '',
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date.toISOString() : '',
    text: textTruncated ? fullText.slice(0, MAX_DISPLAY_TEXT_CHARS) : fullText,
    textTruncated,
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename ?? '(unnamed)',
      contentType: a.contentType,
      size: a.size,
    })),
  };
}

function addresses(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((a) => a.value.map(formatAddress)).filter(Boolean).join(', ');
}

/** `Name <address>` without mailparser's quoting, which is for headers, not for people. */
function formatAddress(a: EmailAddress): string {
  if (a.group) return `${a.name}: ${a.group.map(formatAddress).join(', ')};`;
  if (a.name && a.address) return `${a.name} <${a.address}>`;
  return a.address || a.name;
}

// ParsedMessage → what the message webview shows. No vscode here (unit-tested): the sanitizer runs
// on the host, the frame document carries the CSP, and the view model holds no raw message bytes.
// Every header text goes through displayText: a bidi override in a name or subject is shown, not obeyed.
import type { HeaderField, MessageViewModel } from '../../shared/messageView';
import type { MailAddress, ParsedMessage } from '../../protocol/mime/types';
import { displayText } from '../../shared/displayText';
import { frameDocument } from './csp';

/** "Show All Headers" lists at most this many fields, each cut at MAX_HEADER_VALUE characters: a hostile message can carry megabytes of headers. */
export const MAX_HEADER_FIELDS = 500;
export const MAX_HEADER_VALUE = 16 * 1024;

export interface ViewContext {
  accountLabel: string;
  folder: string;
  /** The list's date (envelope / INTERNALDATE) when the Date header is unusable. */
  fallbackDate?: string;
  remoteAllowed: boolean;
}

/** What the sanitizer returned for the HTML body (absent for plain-text mail). */
export interface SanitizedBody {
  html: string;
  remoteResources: string[];
  /** How many of remoteResources are stylesheets (each may import more). */
  remoteStylesheets?: number;
}

export function buildViewModel(parsed: ParsedMessage, body: SanitizedBody | undefined, ctx: ViewContext): MessageViewModel {
  const model: MessageViewModel = {
    accountLabel: ctx.accountLabel,
    folder: ctx.folder,
    subject: displayText(parsed.subject),
    from: formatAddresses(parsed.from),
    fromAddress: (parsed.from.find((a) => a.address)?.address ?? '').toLowerCase(),
    to: formatAddresses(parsed.to),
    cc: formatAddresses(parsed.cc),
    date: parsed.date ?? ctx.fallbackDate ?? '',
    headers: boundedHeaders(parsed.headers),
    text: parsed.text,
    textTruncated: parsed.textTruncated,
    htmlSkipped: parsed.htmlSkipped,
    remoteBlocked: body ? body.remoteResources.length : 0,
    remoteAtLeast: (body?.remoteStylesheets ?? 0) > 0,
    remoteAllowed: ctx.remoteAllowed,
    attachments: parsed.attachments
      .filter((a) => !a.related)
      .map((a) => ({ index: a.index, filename: displayText(a.filename) || '(unnamed)', contentType: displayText(a.contentType), size: a.size, isPatch: a.isPatch })),
    hasPatch: parsed.containsPatch || parsed.attachments.some((a) => a.isPatch),
  };
  if (body) model.frame = frameDocument(body.html, ctx.remoteAllowed);
  return model;
}

/** The same message with remote content allowed or blocked: only the frame's CSP changes. */
export function withRemoteAllowed(model: MessageViewModel, body: SanitizedBody | undefined, remoteAllowed: boolean): MessageViewModel {
  const next: MessageViewModel = { ...model, remoteAllowed };
  if (body) next.frame = frameDocument(body.html, remoteAllowed);
  return next;
}

/** Addresses as people read them, with every control shown (displayText): From, To and Cc are the sender's text. */
export function formatAddresses(list: MailAddress[]): string {
  return displayText(list.map(formatAddress).filter(Boolean).join(', '));
}

/** `Name <address>` without header quoting, which is for machines, not for people. */
function formatAddress(a: MailAddress): string {
  if (a.name && a.address) return `${a.name} <${a.address}>`;
  return a.address || a.name;
}

function boundedHeaders(headers: ParsedMessage['headers']): HeaderField[] {
  return headers.slice(0, MAX_HEADER_FIELDS).map((h) => ({
    name: displayText(h.name),
    value: displayText(h.value.length > MAX_HEADER_VALUE ? `${h.value.slice(0, MAX_HEADER_VALUE)}…` : h.value),
  }));
}

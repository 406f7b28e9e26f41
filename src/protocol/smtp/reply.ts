/**
 * Reply, reply all and forward: the draft a compose tab opens with, built from the parsed
 * original. Pure functions; the compose editor (src/protocol/smtp/composeDocument.ts) renders
 * the result and buildMessage.ts turns the edited draft into MIME.
 */
import type { MailAddress, ParsedMessage } from '../mime/types';
import { formatAddressList, normalizeAddress, uniqueAddresses } from './address';
import { attribution, DateFormatOptions, formatMailDate, quoteText, senderLabel } from './quote';
import { bodyWithQuote, containsSignature, newMessageBody, SignaturePlacement } from './signature';

export interface DraftContent {
  from?: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  subject: string;
  /** Markdown. */
  body: string;
  inReplyTo?: string;
  /** Message-IDs without angle brackets, oldest first. */
  references: string[];
  /** 'parts': attach the original's attachments; 'message': attach the original as message/rfc822. */
  forwardAttachments: 'none' | 'parts' | 'message';
}

/**
 * RFC 5322 3.6.4 lets a client trim References; keeping the first (thread root) and the most
 * recent ids keeps threading intact while the header stays short.
 */
export const MAX_REFERENCES = 20;

/** The identity's signature (Markdown) and where it goes; none when `signature` is unset. */
export interface SignatureOptions {
  signature?: string;
  /** Default 'aboveQuote'. */
  signaturePlacement?: SignaturePlacement;
}

export interface ReplyOptions extends DateFormatOptions, SignatureOptions {
  all: boolean;
  /** The user's own addresses (ownAddresses(account)); never replied to. */
  own: readonly string[];
  from?: MailAddress;
}

export function buildReply(original: ParsedMessage, opts: ReplyOptions): DraftContent {
  const own = new Set(opts.own.map(normalizeAddress));
  const isOwn = (a: MailAddress): boolean => own.has(normalizeAddress(a.address));
  const author = original.replyTo.some((a) => a.address) ? original.replyTo : original.from;
  // Replying to one's own sent message goes to the people it was sent to.
  const fromSelf = author.length > 0 && author.every(isOwn);
  const target = fromSelf ? original.to : author;
  let to = uniqueAddresses(opts.all ? [...target, ...original.to] : target, opts.own);
  if (to.length === 0) to = uniqueAddresses(author); // a note to self: reply to self
  const cc = opts.all ? uniqueAddresses(original.cc, [...opts.own, ...to.map((a) => a.address)]) : [];
  const quote = quoteText(original.text);
  // A reply to a reply that quotes the user's signature already shows it: not again.
  const signature = containsSignature(quote, opts.signature) ? undefined : opts.signature;

  const draft: DraftContent = {
    to,
    cc,
    bcc: [],
    subject: replySubject(original.subject),
    body: bodyWithQuote(`${attribution(original, opts)}\n${quote}`, signature, opts.signaturePlacement ?? 'aboveQuote'),
    references: [],
    forwardAttachments: 'none',
  };
  if (opts.from) draft.from = opts.from;
  if (original.messageId) {
    draft.inReplyTo = original.messageId;
    const parents = original.references.length ? original.references : original.inReplyTo ? [original.inReplyTo] : [];
    draft.references = trimReferences([...parents, original.messageId]);
  }
  return draft;
}

export interface ForwardOptions extends DateFormatOptions, SignatureOptions {
  asAttachment: boolean;
  from?: MailAddress;
}

/** A forward starts a new thread: In-Reply-To and References stay empty. */
export function buildForward(original: ParsedMessage, opts: ForwardOptions): DraftContent {
  const draft: DraftContent = {
    to: [],
    cc: [],
    bcc: [],
    subject: forwardSubject(original.subject),
    body: opts.asAttachment
      ? newMessageBody(opts.signature, '\n\nThe original message is attached.')
      : bodyWithQuote(`${forwardBlock(original, opts)}\n\n${original.text.replace(/\r\n?/g, '\n').trimEnd()}`, opts.signature, opts.signaturePlacement ?? 'aboveQuote'),
    references: [],
    forwardAttachments: opts.asAttachment ? 'message' : 'parts',
  };
  if (opts.from) draft.from = opts.from;
  return draft;
}

function forwardBlock(original: ParsedMessage, opts: DateFormatOptions): string {
  const lines = ['---------- Forwarded message ----------', `From: ${senderLabel(original.from)}`];
  const date = formatMailDate(original.date, opts);
  if (date) lines.push(`Date: ${date}`);
  lines.push(`Subject: ${original.subject}`);
  if (original.to.length) lines.push(`To: ${formatAddressList(original.to)}`);
  if (original.cc.length) lines.push(`Cc: ${formatAddressList(original.cc)}`);
  return lines.join('\n');
}

const REPLY_PREFIX = /^\s*(?:re(?:\[\d+\]|\(\d+\))?\s*:\s*)+/i;
const FORWARD_PREFIX = /^\s*(?:fwd?|fw)\s*:/i;

/** "Re: " exactly once: "RE: re[2]: x" → "Re: x". */
export function replySubject(subject: string): string {
  return `Re: ${subject.replace(REPLY_PREFIX, '').trim()}`;
}

/** "Fwd: " unless the subject already says it was forwarded. */
export function forwardSubject(subject: string): string {
  const s = subject.trim();
  return FORWARD_PREFIX.test(s) ? s : `Fwd: ${s}`;
}

/** Unique ids (first occurrence kept); when more than `max`, the first and the last max-1. */
export function trimReferences(ids: readonly string[], max = MAX_REFERENCES): string[] {
  const unique = [...new Set(ids.map((id) => id.replace(/^<|>$/g, '').trim()).filter(Boolean))];
  if (unique.length <= max) return unique;
  return [unique[0], ...unique.slice(unique.length - (max - 1))];
}

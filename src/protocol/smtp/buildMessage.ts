/**
 * Turns an edited draft into the exact bytes that are sent and saved.
 *
 * nodemailer's MailComposer builds the MIME tree: text/plain is the Markdown source as the user
 * wrote it, text/html an alternative rendered from it by markdown-it (raw HTML in the Markdown is
 * escaped, not passed through). Attachments are streamed from their files. `wire` never carries
 * a Bcc header (MailComposer leaves it out); `sentCopy` is the same bytes with the Bcc header in
 * front, so the Sent folder remembers who was blind-copied.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { MailError } from '../errors';
import { loadMailLibraries } from '../loadMailLibraries';
import type { MailAddress } from '../mime/types';
import { isAddrSpec, sameAddress } from './address';

export interface OutgoingAttachment {
  path: string;
  filename: string;
  contentType?: string;
}

export interface OutgoingMessage {
  from: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  /** Reply-To (the identity's); none when empty or absent. */
  replyTo?: MailAddress[];
  subject: string;
  markdown: string;
  /** Without angle brackets. */
  inReplyTo?: string;
  /** Without angle brackets, oldest first. */
  references: string[];
  attachments: OutgoingAttachment[];
  /** Without angle brackets; generated as <random@from-domain> when absent. */
  messageId?: string;
  date?: Date;
  /** Extra header fields, e.g. X-Mailroom-Draft on drafts. */
  headers?: Record<string, string>;
}

export interface BuiltMessage {
  /** Exactly what goes to SMTP DATA: no Bcc header. CRLF line endings. */
  wire: Buffer;
  /** 'Bcc: …\r\n' + wire when there are Bcc recipients, else wire. */
  sentCopy: Buffer;
  envelope: { from: string; to: string[] };
  /** Without angle brackets. */
  messageId: string;
}

export async function buildMimeMessage(msg: OutgoingMessage): Promise<BuiltMessage> {
  if (!isAddrSpec(msg.from.address)) throw new MailError('InvalidAddress', `"${msg.from.address}" is not an email address to send from.`);
  for (const a of [...msg.to, ...msg.cc, ...msg.bcc, ...(msg.replyTo ?? [])]) {
    if (!isAddrSpec(a.address)) throw new MailError('InvalidAddress', `"${a.address || a.name}" is not an email address.`);
  }
  const recipients: string[] = [];
  for (const a of [...msg.to, ...msg.cc, ...msg.bcc]) {
    if (!recipients.some((r) => sameAddress(r, a.address))) recipients.push(a.address);
  }
  const messageId = stripBrackets(msg.messageId) || generateMessageId(msg.from.address);
  const { MailComposer } = loadMailLibraries();
  const references = msg.references.map(stripBrackets).filter(Boolean);
  const inReplyTo = stripBrackets(msg.inReplyTo);
  const composer = new MailComposer({
    newline: 'win',
    disableUrlAccess: true,
    from: msg.from,
    ...(msg.to.length ? { to: msg.to } : {}),
    ...(msg.cc.length ? { cc: msg.cc } : {}),
    ...(msg.replyTo?.length ? { replyTo: msg.replyTo } : {}),
    subject: msg.subject,
    messageId: `<${messageId}>`,
    date: msg.date ?? new Date(),
    ...(inReplyTo ? { inReplyTo: `<${inReplyTo}>` } : {}),
    ...(references.length ? { references: references.map((r) => `<${r}>`) } : {}),
    text: msg.markdown.replace(/\r\n?/g, '\n'),
    html: htmlDocument(renderMarkdown(msg.markdown)),
    attachments: msg.attachments.map((a) => ({
      path: a.path,
      filename: a.filename,
      contentType: a.contentType ?? guessContentType(a.filename),
      contentDisposition: 'attachment' as const,
    })),
    ...(msg.headers ? { headers: msg.headers } : {}),
  });
  let wire: Buffer;
  try {
    wire = await composer.compile().build();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const file = typeof e.path === 'string' ? path.basename(e.path) : 'an attachment';
    throw new MailError('StorageFailed', `Could not read the attachment ${file}: ${e.message}`, { detail: e.code, cause: err });
  }
  const bcc = msg.bcc.length ? bccHeader(msg.bcc) : '';
  return {
    wire,
    sentCopy: bcc ? Buffer.concat([Buffer.from(bcc, 'utf8'), wire]) : wire,
    envelope: { from: msg.from.address, to: recipients },
    messageId,
  };
}

/** Markdown to an HTML fragment: no raw HTML, bare URLs linked, single newlines kept as breaks (mail habit). */
export function renderMarkdown(markdown: string): string {
  const { MarkdownIt } = loadMailLibraries();
  const md = new MarkdownIt({ html: false, linkify: true, breaks: true });
  return md.render(markdown.replace(/\r\n?/g, '\n'));
}

function htmlDocument(body: string): string {
  return `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n</head>\n<body>\n${body}</body>\n</html>\n`;
}

/** The Bcc field as MailComposer would write it (encoded names, folded), with its CRLF. */
function bccHeader(bcc: MailAddress[]): string {
  const { MailComposer } = loadMailLibraries();
  const node = new MailComposer({ bcc, newline: 'win' }).compile();
  node.keepBcc = true;
  const lines = node.buildHeaders().split('\r\n');
  const start = lines.findIndex((l) => /^bcc:/i.test(l));
  if (start < 0) throw new MailError('Unknown', 'Could not write the Bcc header of the Sent copy.');
  let end = start + 1;
  while (end < lines.length && /^[ \t]/.test(lines[end])) end++;
  return `${lines.slice(start, end).join('\r\n')}\r\n`;
}

function stripBrackets(id: string | undefined): string {
  return (id ?? '').trim().replace(/^<|>$/g, '');
}

function generateMessageId(from: string): string {
  const domain = from.slice(from.lastIndexOf('@') + 1) || 'mailroom.invalid';
  return `${Date.now().toString(36)}.${randomBytes(12).toString('hex')}@${domain}`;
}

function guessContentType(filename: string): string | undefined {
  // nodemailer guesses most types from the extension; .eml must be message/rfc822 to forward as a message.
  return /\.eml$/i.test(filename) ? 'message/rfc822' : undefined;
}

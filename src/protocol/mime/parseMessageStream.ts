/**
 * RFC 822 bytes → ParsedMessage, as a stream: attachment content is counted and dropped as it goes
 * by (a few KB kept to recognise patches), inline images referenced by `cid:` are kept as data: URLs
 * within a budget, and the text conversions are bounded. Memory stays near the size of the text and
 * HTML bodies, not of the message.
 */
import type { AttachmentStream, MessageText } from 'mailparser';
import { MailError } from '../errors';
import { decodeHeaderLines, headerValue, isoDate, messageIds, toMailAddresses } from './headers';
import { DEFAULT_INLINE_IMAGE_BUDGET_BYTES, DEFAULT_MAX_HTML_CHARS, MAX_DISPLAY_TEXT_CHARS, PATCH_SNIFF_BYTES } from './limits';
import { findPatch, isPatchAttachment } from './patch';
import { parserOptions, runParser } from './runParser';
import type { AttachmentInfo, CalendarPart, ParsedMessage } from './types';
import { MAX_CALENDAR_PART_BYTES } from '../calendar/limits';

export { MAX_DISPLAY_TEXT_CHARS } from './limits';

export interface ParseOptions {
  /** HTML bodies longer than this (characters) are skipped: `htmlSkipped`, no `html`. Default DEFAULT_MAX_HTML_CHARS. */
  maxHtmlChars?: number;
  /** Decoded bytes of cid: images turned into data: URLs. Default DEFAULT_INLINE_IMAGE_BUDGET_BYTES. */
  inlineImageBudgetBytes?: number;
}

/** The raster types the sanitizer lets through as data: URLs; other inline images are not kept. */
const INLINE_IMAGE_TYPE = /^image\/(png|gif|jpeg|webp|bmp)$/i;
/** Parts that carry an invitation: text/calendar (the iMIP form), application/ics and *.ics attachments. */
const CALENDAR_TYPE = /^(text\/calendar|application\/ics)$/i;

export async function parseMessageStream(source: Buffer | NodeJS.ReadableStream, options: ParseOptions = {}): Promise<ParsedMessage> {
  const maxHtmlChars = options.maxHtmlChars ?? DEFAULT_MAX_HTML_CHARS;
  let imageBudget = options.inlineImageBudgetBytes ?? DEFAULT_INLINE_IMAGE_BUDGET_BYTES;
  const attachments: AttachmentInfo[] = [];
  const images = new Map<string, string>();
  let calendar: CalendarPart | undefined;

  const onAttachment = (attachment: AttachmentStream, index: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const content = attachment.content;
      const contentType = (attachment.contentType || 'application/octet-stream').toLowerCase();
      const filename = attachment.filename ?? '';
      let size = 0;
      const head: Buffer[] = [];
      let headBytes = 0;
      const wantsImage = !!attachment.cid && INLINE_IMAGE_TYPE.test(contentType) && imageBudget > 0;
      let image: Buffer[] | undefined = wantsImage ? [] : undefined;
      let imageBytes = 0;
      // Kept only while no text/calendar part was found yet (an .ics attachment gives way to one).
      const wantsCalendar = (CALENDAR_TYPE.test(contentType) || /\.ics$/i.test(filename)) && (!calendar || (!/^text\/calendar$/i.test(calendar.contentType) && /^text\/calendar$/i.test(contentType)));
      let calendarChunks: Buffer[] | undefined = wantsCalendar ? [] : undefined;
      content.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (calendarChunks) {
          if (size > MAX_CALENDAR_PART_BYTES) calendarChunks = undefined;
          else calendarChunks.push(chunk);
        }
        if (headBytes < PATCH_SNIFF_BYTES) {
          const piece = Buffer.from(chunk.subarray(0, PATCH_SNIFF_BYTES - headBytes));
          head.push(piece);
          headBytes += piece.length;
        }
        if (image) {
          if (imageBytes + chunk.length > imageBudget) {
            image = undefined; // over budget: shown as a missing image
          } else {
            image.push(chunk);
            imageBytes += chunk.length;
          }
        }
      });
      content.once('error', (err: unknown) => {
        attachment.release?.();
        reject(new MailError('ProtocolError', 'An attachment of the message could not be decoded.', { detail: err instanceof Error ? err.message : String(err), cause: err }));
      });
      content.once('end', () => {
        const info: AttachmentInfo = {
          index,
          filename,
          contentType,
          size,
          related: !!attachment.related,
          isPatch: isPatchAttachment(filename, contentType, Buffer.concat(head).toString('utf8')),
        };
        if (attachment.cid) info.contentId = attachment.cid;
        attachments.push(info);
        if (wantsCalendar) {
          calendar = { size, index, contentType };
          if (calendarChunks) calendar.text = Buffer.concat(calendarChunks).toString('utf8');
        }
        if (image && attachment.cid && !images.has(attachment.cid)) {
          images.set(attachment.cid, `data:${contentType};base64,${Buffer.concat(image, imageBytes).toString('base64')}`);
          imageBudget -= imageBytes;
        }
        attachment.release?.();
        resolve();
      });
    });

  const run = runParser(source, parserOptions(maxHtmlChars), onAttachment);
  const body: MessageText = await run.done;
  const parser = run.parser;

  const headers = decodeHeaderLines(parser.headerLines);
  const htmlSource = body.html ?? undefined;
  const htmlSkipped = htmlSource !== undefined && htmlSource.length > maxHtmlChars;
  const html = htmlSkipped ? undefined : htmlSource;
  let fullText = body.text ?? '';
  if (!fullText.trim() && htmlSource !== undefined) fullText = roughText(htmlSource, MAX_DISPLAY_TEXT_CHARS + 1);
  const textTruncated = fullText.length > MAX_DISPLAY_TEXT_CHARS;
  const text = textTruncated ? fullText.slice(0, MAX_DISPLAY_TEXT_CHARS) : fullText;

  const inlineImages: Record<string, string> = {};
  if (html !== undefined) {
    for (const [cid, url] of images) if (html.includes(`cid:${cid}`)) inlineImages[cid] = url;
  }

  const result: ParsedMessage = {
    headers,
    subject: parser.subject ?? '',
    from: toMailAddresses(parser.from),
    to: toMailAddresses(parser.to),
    cc: toMailAddresses(parser.cc),
    bcc: toMailAddresses(parser.bcc),
    replyTo: toMailAddresses(parser.replyTo),
    references: messageIds(headerValue(headers, 'references')),
    text,
    textTruncated,
    htmlSkipped,
    attachments: attachments.sort((a, b) => a.index - b.index),
    inlineImages,
    containsPatch: findPatch(text) !== undefined,
  };
  const date = isoDate(headerValue(headers, 'date'));
  if (date) result.date = date;
  const messageId = messageIds(headerValue(headers, 'message-id'))[0];
  if (messageId) result.messageId = messageId;
  const inReplyTo = messageIds(headerValue(headers, 'in-reply-to'))[0];
  if (inReplyTo) result.inReplyTo = inReplyTo;
  if (html !== undefined) result.html = html;
  if (calendar) result.calendar = calendar;
  return result;
}

/**
 * Text of HTML that mailparser did not convert (too large or nested too deep): tags dropped,
 * `<style>`/`<script>` content dropped, common entities decoded. One linear pass, at most `limit` characters.
 */
function roughText(html: string, limit: number): string {
  let out = '';
  let i = 0;
  while (i < html.length && out.length < limit) {
    const lt = html.indexOf('<', i);
    const end = lt < 0 ? html.length : lt;
    out += html.slice(i, Math.min(end, i + limit - out.length));
    if (lt < 0) break;
    const gt = html.indexOf('>', lt);
    if (gt < 0) break;
    const tag = /^<\s*(style|script)\b/i.exec(html.slice(lt, lt + 10));
    if (tag) {
      const closing = new RegExp(`</${tag[1]}`, 'gi');
      closing.lastIndex = gt;
      const close = closing.exec(html)?.index ?? -1;
      i = close < 0 ? html.length : html.indexOf('>', close) + 1 || html.length;
    } else {
      if (/^<\s*\/?\s*(p|div|br|tr|li|h[1-6]|table)\b/i.test(html.slice(lt, lt + 8))) out += '\n';
      i = gt + 1;
    }
  }
  return out
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&amp;/gi, '&')
    // From the start of a run only: `[ \t]+\n` alone rescans a long run of blanks from each one.
    .replace(/(?<![ \t])[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

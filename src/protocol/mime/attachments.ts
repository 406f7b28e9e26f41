/**
 * Saving or opening one attachment: the message is parsed again and only that attachment's decoded
 * content is piped to the sink (with backpressure), so no attachment is ever held whole in memory.
 */
import { pipeline } from 'node:stream/promises';
import type { AttachmentStream } from 'mailparser';
import { MailError } from '../errors';
import { DEFAULT_MAX_HTML_CHARS, PATCH_SNIFF_BYTES } from './limits';
import { isPatchAttachment } from './patch';
import { parserOptions, runParser } from './runParser';
import type { AttachmentInfo } from './types';

/**
 * Pipes the decoded content of attachment `index` (as numbered by parseMessageStream) into `sink`
 * and ends it. `source` is the message bytes, or a function opening a fresh stream of them.
 * Unknown index → MailError('MessageNotFound'); the sink is then left untouched (not ended).
 */
export async function streamAttachment(source: Buffer | (() => NodeJS.ReadableStream), index: number, sink: NodeJS.WritableStream): Promise<AttachmentInfo> {
  let found: AttachmentInfo | undefined;
  let resolveFound: (info: AttachmentInfo) => void = () => undefined;
  const foundPromise = new Promise<AttachmentInfo>((resolve) => (resolveFound = resolve));

  const onAttachment = async (attachment: AttachmentStream, at: number): Promise<void> => {
    if (at !== index) {
      // Released unread: mailparser drains it; resume() lets the bytes flow away instead of queueing.
      attachment.content.resume();
      attachment.release?.();
      return;
    }
    const contentType = (attachment.contentType || 'application/octet-stream').toLowerCase();
    const filename = attachment.filename ?? '';
    let size = 0;
    let head = Buffer.alloc(0);
    attachment.content.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (head.length < PATCH_SNIFF_BYTES) head = Buffer.concat([head, chunk.subarray(0, PATCH_SNIFF_BYTES - head.length)]);
    });
    try {
      await pipeline(attachment.content, sink);
    } catch (err) {
      throw MailError.is(err) ? err : new MailError('StorageFailed', 'The attachment could not be written.', { detail: err instanceof Error ? err.message : String(err), cause: err });
    }
    attachment.release?.();
    found = {
      index,
      filename,
      contentType,
      size,
      related: !!attachment.related,
      isPatch: isPatchAttachment(filename, contentType, head.toString('utf8')),
    };
    if (attachment.cid) found.contentId = attachment.cid;
    resolveFound(found);
  };

  const run = runParser(typeof source === 'function' ? source() : source, parserOptions(DEFAULT_MAX_HTML_CHARS), onAttachment);
  // Done as soon as the attachment has been written: the rest of the message is not parsed.
  const info = await Promise.race([foundPromise, run.done.then(() => found)]);
  run.stop();
  if (!info) throw new MailError('MessageNotFound', `The message has no attachment number ${index + 1}.`);
  return info;
}

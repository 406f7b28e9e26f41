/**
 * Drives mailparser's streaming MailParser over a message: feeds it (a Buffer in small pieces, or a
 * stream), hands every attachment to a handler that must read its content and release it, and turns
 * every failure into a MailError. Shared by parseMessageStream and streamAttachment so both number
 * attachments the same way.
 */
import { Readable } from 'node:stream';
import type { AttachmentStream, MailParser, MailParserOptions, MessageText } from 'mailparser';
import { MailError } from '../errors';
import { loadMailLibraries } from '../loadMailLibraries';
import { PARSE_CHUNK_BYTES } from './limits';

export type MessageSource = Buffer | NodeJS.ReadableStream;

export interface ParserRun {
  parser: MailParser;
  /** Resolves with the text content when the message has been parsed completely. */
  done: Promise<MessageText>;
  /** Stops parsing early (the remaining input is not read). */
  stop(): void;
}

/**
 * Options every parse uses. The text conversions mailparser offers are bounded or off: the view
 * renders the HTML itself, and `textAsHtml` would linkify megabytes of text for nothing.
 */
export function parserOptions(maxHtmlChars: number): MailParserOptions {
  return { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true, maxHtmlLengthToParse: maxHtmlChars, checksumAlgo: false };
}

/**
 * Starts parsing `source`. `onAttachment` gets each attachment with its index in parse order; it must
 * consume `content` and call `release()` (or reject, after which the parse is stopped).
 */
export function runParser(source: MessageSource, options: MailParserOptions, onAttachment: (attachment: AttachmentStream, index: number) => Promise<void>): ParserRun {
  const { MailParser: Parser } = loadMailLibraries();
  const parser = new Parser(options);
  const input: NodeJS.ReadableStream = Buffer.isBuffer(source) ? Readable.from(pieces(source), { objectMode: false }) : source;
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    input.unpipe(parser);
    if (typeof (input as Partial<Readable>).destroy === 'function') (input as Readable).destroy();
    parser.destroy();
  };
  const done = new Promise<MessageText>((resolve, reject) => {
    let text: MessageText | undefined;
    let index = 0;
    const fail = (err: unknown): void => {
      stop();
      reject(toMailError(err));
    };
    input.on('error', (err: unknown) => fail(MailError.is(err) ? err : new MailError('StorageFailed', 'The message could not be read.', { detail: errorText(err), cause: err })));
    parser.on('error', fail);
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        text = data;
        return;
      }
      const attachment = data;
      onAttachment(attachment, index++).catch((err: unknown) => {
        attachment.release?.();
        fail(err);
      });
    });
    parser.on('end', () => {
      if (!stopped) resolve(text ?? { type: 'text' });
    });
    input.pipe(parser);
  });
  return { parser, done, stop };
}

function* pieces(buffer: Buffer): Generator<Buffer> {
  for (let at = 0; at < buffer.length; at += PARSE_CHUNK_BYTES) yield buffer.subarray(at, at + PARSE_CHUNK_BYTES);
}

/** mailsplit's EMAXLEN (a part's header block or the number of parts over its limit) or a parse failure. */
function toMailError(err: unknown): MailError {
  if (MailError.is(err)) return err;
  if ((err as { code?: unknown } | undefined)?.code === 'EMAXLEN') {
    return new MailError('LimitExceeded', 'The message is too complex to show (too many parts or too large a header).', { detail: errorText(err), cause: err });
  }
  return new MailError('ProtocolError', 'The message could not be parsed.', { detail: errorText(err), cause: err });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

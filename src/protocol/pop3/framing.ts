/**
 * POP3 framing on Buffers: bytes from the socket in, whole responses out.
 *
 * Why not node-pop3 (0.11.0): measured here, it corrupts messages. Its connection pushes socket
 * chunks through unchanged (no dot-unstuffing, so a body line ".signature" arrives as
 * "..signature"), RETR/TOP return `stream2String(stream)`, which decodes as UTF-8 (every 8-bit
 * byte of a latin-1 or raw 8bit message becomes U+FFFD), and it detects the terminator only when a
 * chunk ends with "\r\n.\r\n" (a terminator split across two reads hangs the command). It also has
 * no STLS, CAPA, APOP or SASL. Its public API returns strings, so none of this can be fixed from
 * outside. `test/integration/pop3Client.test.ts` keeps a test of the two corruptions.
 *
 * POP3 responses do not say whether they are multi-line: that depends on the command (RFC 1939,
 * RFC 2449). So the reader is told what to expect, one `expect()` per command sent, in order.
 * Bytes that arrive with nothing expected are unsolicited (a server's "-ERR autologout").
 *
 * Multi-line bodies are scanned line by line only at line starts: a line starting with "." is
 * either the terminator ".CRLF" or dot-stuffed (the dot is dropped); everything else is copied as
 * slices of the received chunks, CRLF kept. A line start that is split across chunks (".", ".\r")
 * is carried to the next chunk, so the terminator is found however the bytes are cut.
 */
import { MailError } from '../errors';
import type { Pop3Limits } from './limits';

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
/** A line end followed by a line that starts with a dot (stuffed, or the terminator). */
const LF_DOT = Buffer.from('\n.', 'latin1');

/** 'upgrade' is a single-line response after which the plaintext stream must end (STLS). */
export type ResponseKind = 'single' | 'multi' | 'upgrade';

export interface Pop3Response {
  /** '+OK', '-ERR', or a SASL continuation ('+ ' and a base64 challenge). */
  status: 'ok' | 'err' | 'continue';
  /** The status line after "+OK " / "-ERR " / "+ ", CRLF removed, decoded as UTF-8. */
  text: string;
  /** Multi-line data of a '+OK' to a multi-line command: dot-unstuffed, CRLF kept, no terminator. */
  body?: Buffer;
}

export interface FramerEvents {
  response(response: Pop3Response): void;
  /** The status line of a multi-line +OK whose data follows (RETR's "+OK 120 octets"). */
  dataFollows?(text: string): void;
  /** A whole line that arrived while no response was expected. */
  unsolicited(line: string): void;
  /** The byte stream can no longer be trusted (limit exceeded, garbage, data after STLS). */
  error(err: MailError): void;
}

type Mode = 'status' | 'body' | 'detached' | 'failed';

export class Pop3Framer {
  private readonly expected: ResponseKind[] = [];
  private mode: Mode = 'status';
  /** Bytes of a status line whose LF has not arrived yet. */
  private statusParts: Buffer[] = [];
  private statusLength = 0;
  /** The response whose multi-line body is being read. */
  private current: { status: 'ok'; text: string } | undefined;
  private bodyParts: Buffer[] = [];
  private bodyLength = 0;
  private lineLength = 0;
  private atLineStart = true;
  /** The first one or two bytes of a body line starting with "." whose next byte is still unknown. */
  private carry: Buffer | undefined;

  constructor(
    private readonly limits: Pick<Pop3Limits, 'maxLineBytes' | 'maxStatusLineBytes' | 'maxMessageBytes'>,
    private readonly events: FramerEvents,
  ) {}

  /** Registers the kind of the next response (call once per command, in the order sent). */
  expect(kind: ResponseKind): void {
    this.expected.push(kind);
  }

  /** How many responses are expected and not yet complete. */
  get outstanding(): number {
    return this.expected.length + (this.mode === 'body' ? 1 : 0);
  }

  /** Bytes held for the response being read (never more than a limit): for tests and diagnostics. */
  get bufferedBytes(): number {
    return this.statusLength + this.bodyLength + (this.carry?.length ?? 0);
  }

  get failed(): boolean {
    return this.mode === 'failed';
  }

  /** After an 'upgrade' response: the new (TLS) stream starts clean. */
  resume(): void {
    if (this.mode === 'detached') this.mode = 'status';
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let pos = 0;
    while (pos < buf.length) {
      switch (this.mode) {
        case 'failed':
          return;
        case 'detached':
          return this.fail(
            new MailError('TlsFailed', 'The server sent data after agreeing to start TLS, which may be an attack. Mailroom stopped before sending your password.'),
          );
        case 'status':
          pos = this.readStatus(buf, pos);
          break;
        case 'body':
          pos = this.readBody(buf, pos);
          break;
      }
    }
  }

  private fail(err: MailError): void {
    this.mode = 'failed';
    this.statusParts = [];
    this.statusLength = 0;
    this.bodyParts = [];
    this.bodyLength = 0;
    this.carry = undefined;
    this.events.error(err);
  }

  private tooLong(what: string, limit: number): MailError {
    return new MailError('LimitExceeded', `The server sent ${what} longer than ${limit} bytes; Mailroom stopped reading the response.`, {
      detail: `limit ${limit} bytes`,
    });
  }

  private readStatus(buf: Buffer, pos: number): number {
    const lf = buf.indexOf(LF, pos);
    const end = lf < 0 ? buf.length : lf + 1;
    this.statusLength += end - pos;
    if (this.statusLength > this.limits.maxStatusLineBytes) {
      this.fail(this.tooLong('a response line', this.limits.maxStatusLineBytes));
      return buf.length;
    }
    if (lf < 0) {
      this.statusParts.push(buf.subarray(pos));
      return buf.length;
    }
    const parts = this.statusParts;
    parts.push(buf.subarray(pos, end));
    const line = trimEol(parts.length === 1 ? parts[0] : Buffer.concat(parts)).toString('utf8');
    this.statusParts = [];
    this.statusLength = 0;
    this.onStatusLine(line);
    return end;
  }

  private onStatusLine(line: string): void {
    const kind = this.expected.shift();
    if (kind === undefined) {
      this.events.unsolicited(line);
      return;
    }
    let response: Pop3Response;
    if (line.startsWith('+OK')) response = { status: 'ok', text: line.slice(3).trimStart() };
    else if (line.startsWith('-ERR')) response = { status: 'err', text: line.slice(4).trimStart() };
    else if (line.startsWith('+')) response = { status: 'continue', text: line.slice(1).trimStart() };
    else {
      this.fail(new MailError('ProtocolError', 'The server sent a response that is not POP3 (neither +OK nor -ERR).', { detail: line.slice(0, 200) }));
      return;
    }
    if (kind === 'multi' && response.status === 'ok') {
      this.mode = 'body';
      this.current = { status: 'ok', text: response.text };
      this.bodyParts = [];
      this.bodyLength = 0;
      this.lineLength = 0;
      this.atLineStart = true;
      this.events.dataFollows?.(response.text);
      return;
    }
    if (kind === 'upgrade' && response.status === 'ok') this.mode = 'detached';
    this.events.response(response);
  }

  /** Consumes body bytes from `pos`; returns where the body (or the buffer) ended. */
  private readBody(buf: Buffer, pos: number): number {
    let runStart = pos;
    while (pos < buf.length) {
      if (this.atLineStart) {
        if (buf[pos] === DOT) {
          const next = pos + 1 < buf.length ? buf[pos + 1] : undefined;
          const third = pos + 2 < buf.length ? buf[pos + 2] : undefined;
          // ".CRLF" ends the body; tolerate a bare ".LF" from sloppy servers.
          if (next === undefined || (next === CR && third === undefined)) {
            if (!this.append(buf, runStart, pos)) return buf.length;
            this.carry = Buffer.from(buf.subarray(pos));
            return buf.length;
          }
          if ((next === CR && third === LF) || next === LF) {
            if (!this.append(buf, runStart, pos)) return buf.length;
            this.finishBody();
            return pos + (next === LF ? 2 : 3);
          }
          // Dot-stuffed line: drop the first dot.
          if (!this.append(buf, runStart, pos)) return buf.length;
          runStart = pos + 1;
        }
        this.atLineStart = false;
      }
      // Nothing happens inside a line, nor at the start of a line without a dot: jump to the next
      // line that starts with one (or past the last line end), looking no further than the current
      // line may still grow. One search per dot line instead of one per line.
      const window = buf.subarray(pos, Math.min(buf.length, pos + this.limits.maxLineBytes - this.lineLength));
      const dotLine = window.indexOf(LF_DOT);
      const lastLf = dotLine >= 0 ? dotLine : window.lastIndexOf(LF);
      if (lastLf >= 0) {
        pos += lastLf + 1;
        this.lineLength = 0;
        this.atLineStart = true;
      } else if (pos + window.length === buf.length) {
        this.lineLength += window.length; // the line goes on in the next chunk
        pos = buf.length;
      } else {
        this.fail(this.tooLong('a message line', this.limits.maxLineBytes));
        return buf.length;
      }
    }
    this.append(buf, runStart, pos);
    return buf.length;
  }

  /** Adds body bytes; false when the message limit was exceeded (the framer has failed). */
  private append(buf: Buffer, start: number, end: number): boolean {
    if (end <= start) return true;
    this.bodyLength += end - start;
    if (this.bodyLength > this.limits.maxMessageBytes) {
      this.fail(this.tooLong('a message', this.limits.maxMessageBytes));
      return false;
    }
    this.bodyParts.push(buf.subarray(start, end));
    return true;
  }

  private finishBody(): void {
    const head = this.current ?? { status: 'ok', text: '' };
    // A copy: the parts are slices of socket chunks that also hold other responses.
    const body = Buffer.concat(this.bodyParts, this.bodyLength);
    this.bodyParts = [];
    this.bodyLength = 0;
    this.current = undefined;
    this.mode = 'status';
    this.events.response({ status: head.status, text: head.text, body });
  }
}

function trimEol(line: Buffer): Buffer {
  let end = line.length;
  if (end > 0 && line[end - 1] === LF) end--;
  if (end > 0 && line[end - 1] === CR) end--;
  return line.subarray(0, end);
}

/** The lines of a multi-line listing body (CAPA, UIDL, LIST), without CRLF, empty lines dropped. */
export function bodyLines(body: Buffer | undefined): string[] {
  if (!body) return [];
  const lines: string[] = [];
  for (const raw of body.toString('utf8').split('\n')) {
    const line = raw.charCodeAt(raw.length - 1) === CR ? raw.slice(0, -1) : raw;
    if (line.length > 0) lines.push(line);
  }
  return lines;
}

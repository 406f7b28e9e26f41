/** Parsers for the data of single- and multi-line responses (RFC 1939, RFC 2449 response codes). */
import { MailError } from '../errors';
import { bodyLines, type Pop3Response } from './framing';

/**
 * The response code at the start of "-ERR [IN-USE] ..." (RFC 2449 section 8), upper case. Text
 * after the code must start with white space, so the two parts cannot trade characters: the
 * pattern `^\[([^\]\s]+)[^\]]*\]` did, and took quadratic time on a line of "[".
 */
export function responseCode(text: string): string | undefined {
  return /^\[([^\]\s]+)(?:\s[^\]]*)?\]/.exec(text)?.[1]?.toUpperCase();
}

export function parseStat(response: Pop3Response): { count: number; size: number } {
  const m = /^(\d+)\s+(\d+)/.exec(response.text);
  if (!m) throw malformed('STAT', response.text);
  return { count: toInt(m[1], 'STAT'), size: toInt(m[2], 'STAT') };
}

export function parseList(response: Pop3Response): Array<{ msg: number; size: number }> {
  return bodyLines(response.body).map((line) => {
    const m = /^(\d+)\s+(\d+)/.exec(line);
    if (!m) throw malformed('LIST', line);
    return { msg: toInt(m[1], 'LIST'), size: toInt(m[2], 'LIST') };
  });
}

/**
 * A UIDL line: the message number and the unique-id, which RFC 1939 makes 1 to 70 characters in
 * the range 0x21 to 0x7E (one pattern for both: a listing has a line per message).
 */
const UIDL_LINE = /^(\d+)\s+([\x21-\x7e]{1,70})\s*$/;

export function parseUidl(response: Pop3Response): Array<{ msg: number; uid: string }> {
  const seen = new Set<string>();
  return bodyLines(response.body).map((line) => {
    const m = UIDL_LINE.exec(line);
    if (!m) throw malformed('UIDL', line);
    if (seen.has(m[2])) throw new MailError('ProtocolError', 'The server listed the same unique id (UIDL) for two messages, so messages cannot be told apart.', { detail: line });
    seen.add(m[2]);
    return { msg: toInt(m[1], 'UIDL'), uid: m[2] };
  });
}

function toInt(text: string, command: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw malformed(command, text);
  return n;
}

function malformed(command: string, text: string): MailError {
  return new MailError('ProtocolError', `The server's answer to ${command} could not be read.`, { detail: text.slice(0, 200) });
}

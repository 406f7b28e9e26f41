import { MailError } from '../../errors';
import { hasImapToken } from '../capabilityAnalysis';
import type { ProbeConnection } from '../connection';
import { garbage, quote, tooManyLines } from '../dialogue';
import { PROBE_LIMITS } from '../limits';
import type { Budget } from './session';

/** One response line with its literals kept as bytes; `text` shows each literal as `{n}`. */
export interface ImapLine {
  text: string;
  literals: Buffer[];
}

export interface ImapResponse {
  untagged: ImapLine[];
  status: 'OK' | 'NO' | 'BAD';
  /** The tagged line after the status, e.g. "[APPENDUID 1 2] Append completed." */
  text: string;
}

/**
 * A bare IMAP command runner over the probe's connection, so the transcript shows exactly what
 * was sent and read (RFC 9051 framing: tags, literals, continuation requests). Every command is
 * bounded by the suite's budget.
 */
export class ImapClient {
  private tags = 0;

  constructor(readonly conn: ProbeConnection, readonly caps: readonly string[], private readonly budget: Budget, private readonly prefix: string) {}

  has(capability: string): boolean {
    return hasImapToken(this.caps, capability);
  }

  private nextTag(): string {
    return `${this.prefix}${++this.tags}`;
  }

  /** A whole response line, literals included. */
  async readLine(): Promise<ImapLine> {
    let line = await this.conn.readLine();
    const literals: Buffer[] = [];
    let text = '';
    for (let i = 0; i < PROBE_LIMITS.maxLinesPerResponse; i++) {
      const m = /\{(\d+)\+?\}$/.exec(line);
      if (!m) return { text: text + line, literals };
      text += `${line.slice(0, m.index)}{${m[1]}}`;
      literals.push(await this.conn.readBytes(Number(m[1])));
      line = await this.conn.readLine();
    }
    throw tooManyLines('one response line');
  }

  /**
   * Sends one command and reads up to its tagged reply. With `literal`, the command ends in a
   * literal: non-synchronizing (`{n+}`) when the server offers LITERAL+, else sent after the
   * server's continuation request.
   */
  async run(command: string, literal?: Buffer, byeExpected = false): Promise<ImapResponse> {
    return this.budget.bound(this.exchange(command, literal, byeExpected), command.split(' ')[0]);
  }

  private async exchange(command: string, literal: Buffer | undefined, byeExpected: boolean): Promise<ImapResponse> {
    const tag = this.nextTag();
    if (!literal) {
      this.conn.send(`${tag} ${command}`);
      return this.readTagged(tag, byeExpected);
    }
    const plus = this.has('LITERAL+');
    this.conn.send(`${tag} ${command} {${literal.length}${plus ? '+' : ''}}`);
    const shown = `(literal, ${literal.length} bytes${plus ? ', LITERAL+' : ''})`;
    if (plus) {
      this.conn.sendRaw(Buffer.concat([literal, Buffer.from('\r\n')]), shown);
      return this.readTagged(tag);
    }
    const first = await this.readLine();
    if (!first.text.startsWith('+')) return this.readTagged(tag, false, first);
    this.conn.sendRaw(Buffer.concat([literal, Buffer.from('\r\n')]), shown);
    return this.readTagged(tag);
  }

  async readTagged(tag: string, byeExpected = false, first?: ImapLine): Promise<ImapResponse> {
    const untagged: ImapLine[] = [];
    let pending = first;
    for (let i = 0; i < PROBE_LIMITS.maxLinesPerResponse; i++) {
      const line = pending ?? (await this.readLine());
      pending = undefined;
      if (line.text.startsWith(`${tag} `)) {
        const m = /^\S+ (OK|NO|BAD)\b ?(.*)$/i.exec(line.text);
        if (!m) throw garbage(`a tagged OK, NO or BAD for ${tag}`, line.text);
        return { untagged, status: m[1].toUpperCase() as ImapResponse['status'], text: m[2] };
      }
      if (!byeExpected && /^\* BYE\b/i.test(line.text)) throw new MailError('ConnectionClosed', `The server ended the session: "${quote(line.text)}".`);
      if (!line.text.startsWith('* ') && !line.text.startsWith('+')) throw garbage(`an IMAP response to ${tag}`, line.text);
      untagged.push(line);
    }
    throw tooManyLines(`the response to ${tag}`);
  }

  /** Like `run`, but a NO or BAD is an error naming the command. */
  async ok(command: string, literal?: Buffer): Promise<ImapResponse> {
    const r = await this.run(command, literal);
    if (r.status !== 'OK') throw new MailError('CommandFailed', `The server refused ${command.split(' ').slice(0, 2).join(' ')}: "${quote(r.text)}".`, { detail: r.text });
    return r;
  }

  /** Starts IDLE; resolves once the server's continuation request came. */
  async idle(): Promise<string> {
    const tag = this.nextTag();
    this.conn.send(`${tag} IDLE`);
    const line = await this.budget.bound(this.readLine(), 'IDLE');
    if (!line.text.startsWith('+')) throw new MailError('CommandFailed', `The server refused IDLE: "${quote(line.text)}".`);
    return tag;
  }

  /** Reads lines until one matches, for at most `ms`; undefined when none did in time. */
  async waitFor(match: (line: ImapLine) => boolean, ms: number): Promise<ImapLine | undefined> {
    const deadline = Date.now() + ms;
    for (let i = 0; i < PROBE_LIMITS.maxLinesPerResponse; i++) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      const line = await this.budget.bound(this.readLine(), 'IDLE', left).catch((err: unknown) => {
        if (MailError.is(err, 'Timeout') && Date.now() >= deadline) return undefined;
        throw err;
      });
      if (!line) return undefined;
      if (match(line)) return line;
    }
    throw tooManyLines('IDLE');
  }

  async endIdle(tag: string): Promise<ImapResponse> {
    this.conn.send('DONE');
    return this.budget.bound(this.readTagged(tag), 'DONE');
  }
}

// ---- reading responses ----

export interface FetchData {
  seq: number;
  uid?: number;
  flags?: string[];
  modseq?: number;
  body?: Buffer;
}

export function parseFetch(line: ImapLine): FetchData | undefined {
  const m = /^\* (\d+) FETCH \(/i.exec(line.text);
  if (!m) return undefined;
  const out: FetchData = { seq: Number(m[1]) };
  const uid = /\bUID (\d+)/i.exec(line.text);
  if (uid) out.uid = Number(uid[1]);
  const flags = /\bFLAGS \(([^)]*)\)/i.exec(line.text);
  if (flags) out.flags = flags[1].split(/\s+/).filter(Boolean);
  const modseq = /\bMODSEQ \((\d+)\)/i.exec(line.text);
  if (modseq) out.modseq = Number(modseq[1]);
  if (/BODY\[\] \{\d+\}/i.test(line.text)) out.body = line.literals[0];
  return out;
}

export function fetches(r: ImapResponse): FetchData[] {
  return r.untagged.map(parseFetch).filter((f): f is FetchData => f !== undefined);
}

/** A response code's arguments, from untagged OKs or the tagged text: `[APPENDUID 3 7]` → ["3", "7"]. */
export function responseCode(r: ImapResponse, code: string): string[] | undefined {
  for (const text of [r.text, ...r.untagged.map((l) => l.text)]) {
    const m = new RegExp(`\\[${code}(?: ([^\\]]*))?\\]`, 'i').exec(text);
    if (m) return (m[1] ?? '').trim().split(/\s+/).filter(Boolean);
  }
  return undefined;
}

export function numberCode(r: ImapResponse, code: string): number | undefined {
  const args = responseCode(r, code);
  return args?.length ? Number(args[0]) : undefined;
}

/** "1:3,7" → [1, 2, 3, 7]; at most `limit` numbers (a set from a hostile server can be huge). */
export function expandUidSet(set: string, limit = 10_000): number[] {
  const out: number[] = [];
  for (const part of set.split(',')) {
    const [a, b] = part.split(':').map(Number);
    if (!Number.isInteger(a)) continue;
    const hi = Number.isInteger(b) ? Math.max(a, b) : a;
    for (let n = Number.isInteger(b) ? Math.min(a, b) : a; n <= hi && out.length < limit; n++) out.push(n);
  }
  return out;
}

/** UIDs named by `* VANISHED` lines; `earlier` picks the `(EARLIER)` ones. */
export function vanished(r: ImapResponse | ImapLine[], earlier: boolean): number[] {
  const lines = Array.isArray(r) ? r : r.untagged;
  const out: number[] = [];
  for (const line of lines) {
    const m = /^\* VANISHED (\(EARLIER\) )?(\S+)/i.exec(line.text);
    if (m && Boolean(m[1]) === earlier) out.push(...expandUidSet(m[2]));
  }
  return out;
}

export function expunged(r: ImapResponse): number[] {
  return r.untagged.map((l) => /^\* (\d+) EXPUNGE\b/i.exec(l.text)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1]));
}

export function imapQuote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const x = [...new Set(a)].sort((p, q) => p - q);
  const y = [...new Set(b)].sort((p, q) => p - q);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

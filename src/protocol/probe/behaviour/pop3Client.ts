import { MailError } from '../../errors';
import { hasCapability } from '../capabilityAnalysis';
import type { ProbeConnection } from '../connection';
import { garbage, quote, tooManyLines } from '../dialogue';
import type { Budget } from './session';

/** Lines of one multi-line POP3 answer; a message of the check's own is far below this. */
const MAX_LINES = 20_000;

/** Bare POP3 commands over the probe's connection (RFC 1939), each bounded by the suite's budget. */
export class Pop3Client {
  constructor(readonly conn: ProbeConnection, readonly caps: readonly string[], private readonly budget: Budget) {}

  has(name: string): boolean {
    return hasCapability('pop3', this.caps, name);
  }

  /** Sends a command; resolves with its status line. */
  async status(line: string): Promise<string> {
    return this.budget.bound(
      (async () => {
        this.conn.send(line);
        const reply = await this.conn.readLine();
        if (!/^[+-](OK|ERR)\b/i.test(reply)) throw garbage(`+OK or -ERR for ${line.split(' ')[0]}`, reply);
        return reply;
      })(),
      line.split(' ')[0],
    );
  }

  async ok(line: string): Promise<string> {
    const reply = await this.status(line);
    if (!/^\+OK\b/i.test(reply)) throw new MailError('CommandFailed', `The server refused ${line.split(' ').slice(0, 2).join(' ')}: "${quote(reply)}".`, { detail: reply });
    return reply;
  }

  /** A multi-line answer as bytes (dot-unstuffed, CRLFs kept), or undefined on -ERR. */
  async multiline(line: string): Promise<Buffer | undefined> {
    const reply = await this.status(line);
    if (!/^\+OK\b/i.test(reply)) return undefined;
    return this.budget.bound(this.readBody(), line.split(' ')[0]);
  }

  private async readBody(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let i = 0; i < MAX_LINES; i++) {
      const raw = await this.conn.readRawLine();
      if (raw.length <= 3 && raw[0] === 0x2e && (raw.length === 2 || raw[1] === 0x0d)) return Buffer.concat(parts);
      parts.push(raw[0] === 0x2e ? raw.subarray(1) : raw);
    }
    throw tooManyLines('one multi-line answer');
  }

  /** UIDL as message number → unique id, or undefined when the server refuses UIDL. */
  async uidl(): Promise<Map<number, string> | undefined> {
    const body = await this.multiline('UIDL');
    if (!body) return undefined;
    const out = new Map<number, string>();
    for (const line of body.toString('latin1').split(/\r?\n/).filter(Boolean)) {
      const m = /^(\d+) (\S+)/.exec(line);
      if (m) out.set(Number(m[1]), m[2]);
    }
    return out;
  }

  /** Message number → size from LIST. */
  async list(): Promise<Map<number, number>> {
    const body = await this.multiline('LIST');
    if (!body) throw new MailError('CommandFailed', 'The server refused LIST.');
    const out = new Map<number, number>();
    for (const line of body.toString('latin1').split(/\r?\n/).filter(Boolean)) {
      const m = /^(\d+) (\d+)/.exec(line);
      if (m) out.set(Number(m[1]), Number(m[2]));
    }
    return out;
  }

  /** QUIT: ends the session and commits any DELE. */
  async quit(): Promise<void> {
    await this.status('QUIT').catch(() => undefined);
  }
}

/** The header block of a message (up to and including the empty line). */
export function headerBlock(message: Buffer): Buffer {
  const at = message.indexOf('\r\n\r\n');
  if (at >= 0) return message.subarray(0, at + 4);
  const lf = message.indexOf('\n\n');
  return lf >= 0 ? message.subarray(0, lf + 2) : message;
}

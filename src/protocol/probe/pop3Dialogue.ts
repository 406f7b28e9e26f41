import { MailError } from '../errors';
import { apopTimestamp } from '../pop3/capabilities';
import { hasCapability, saslMechanisms } from './capabilityAnalysis';
import type { ProbeConnection } from './connection';
import { Credentials, Dialogue, garbage, quote, saslBearer, saslPlain, tooManyLines } from './dialogue';
import { PROBE_LIMITS } from './limits';

/** The probe's own small POP3 dialogue (RFC 1939, 2449 CAPA, 2595 STLS, 5034 AUTH). */
export class Pop3Dialogue implements Dialogue {
  readonly protocol = 'pop3' as const;
  readonly alpn = 'pop3';

  async greeting(conn: ProbeConnection): Promise<{ banner: string; apopTimestamp?: string }> {
    const line = await conn.readLine();
    if (/^-ERR\b/i.test(line)) throw new MailError('CommandFailed', `The server refused the connection: "${quote(line)}".`, { detail: line });
    if (!/^\+OK\b/i.test(line)) throw garbage('a POP3 greeting ("+OK")', line);
    // The client's own reading of the timestamp (one linear pass), so the probe reports what it would use.
    const ts = apopTimestamp(line);
    return { banner: line, ...(ts ? { apopTimestamp: ts } : {}) };
  }

  /** CAPA lines as sent; an empty list when the server does not know CAPA (RFC 1939 servers). */
  async capabilities(conn: ProbeConnection): Promise<string[]> {
    conn.send('CAPA');
    const status = await conn.readLine();
    if (/^-ERR\b/i.test(status)) return [];
    if (!/^\+OK\b/i.test(status)) throw garbage('+OK or -ERR for CAPA', status);
    return readMultiline(conn, 'the CAPA list');
  }

  async starttls(conn: ProbeConnection): Promise<string> {
    conn.send('STLS');
    const line = await conn.readLine();
    if (!/^\+OK\b/i.test(line)) throw new MailError('StartTlsUnavailable', `The server refused STLS: "${quote(line)}".`, { detail: line });
    return line;
  }

  async login(conn: ProbeConnection, credentials: Credentials, capabilities: readonly string[]): Promise<{ method: string }> {
    if (credentials.bearer) {
      const sasl = saslBearer(credentials, saslMechanisms('pop3', capabilities));
      conn.send(`AUTH ${sasl.mech} ${sasl.payload}`, `AUTH ${sasl.mech} (secret)`);
      let line = await conn.readLine();
      // "+ <challenge>" (a refused token's error), not "+OK".
      if (/^\+(?: |$)/.test(line)) {
        conn.send(sasl.afterError, '(empty)');
        line = await conn.readLine();
      }
      expectOk(line);
      return { method: `AUTH ${sasl.mech}` };
    }
    const userCommand = capabilities.length === 0 || hasCapability('pop3', capabilities, 'USER');
    if (!userCommand && saslMechanisms('pop3', capabilities).includes('PLAIN')) {
      conn.send(`AUTH PLAIN ${saslPlain(credentials)}`, 'AUTH PLAIN (secret)');
      expectOk(await conn.readLine());
      return { method: 'AUTH PLAIN' };
    }
    if (/[\r\n]/.test(credentials.user) || /[\r\n]/.test(credentials.password)) {
      throw new MailError('Unsupported', 'The user name or password contains a line break, which USER/PASS cannot carry.');
    }
    conn.send(`USER ${credentials.user}`);
    expectOk(await conn.readLine());
    conn.send(`PASS ${credentials.password}`, 'PASS (secret)');
    expectOk(await conn.readLine());
    return { method: 'USER/PASS' };
  }

  async capabilitiesAfterLogin(conn: ProbeConnection): Promise<string[]> {
    return this.capabilities(conn);
  }

  async logout(conn: ProbeConnection): Promise<void> {
    conn.send('QUIT');
    await conn.readLine();
  }
}

function expectOk(line: string): void {
  if (/^\+OK\b/i.test(line)) return;
  if (!/^-ERR\b/i.test(line)) throw garbage('+OK or -ERR', line);
  const detail = line;
  if (/\[IN-USE\]/i.test(line)) throw new MailError('MailboxInUse', `The mailbox is locked by another session: "${quote(line)}".`, { detail });
  if (/\[LOGIN-DELAY\]/i.test(line)) throw new MailError('LoginDelayed', `The server asks to wait longer between logins: "${quote(line)}".`, { detail });
  if (/\[SYS\//i.test(line)) throw new MailError('CommandFailed', `The server could not log in because of its own problem: "${quote(line)}".`, { detail });
  throw new MailError('AuthFailed', `The server rejected the user name or password: "${quote(line)}".`, { detail });
}

/** Lines up to the terminating ".", dot-unstuffed. */
async function readMultiline(conn: ProbeConnection, what: string): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 0; i < PROBE_LIMITS.maxLinesPerResponse; i++) {
    const line = await conn.readLine();
    if (line === '.') return lines;
    lines.push(line.startsWith('..') ? line.slice(1) : line);
  }
  throw tooManyLines(what);
}

import * as net from 'node:net';
import { MailError } from '../errors';
import { saslMechanisms } from './capabilityAnalysis';
import type { ProbeConnection } from './connection';
import { Credentials, Dialogue, garbage, quote, saslBearer, saslPlain, tooManyLines } from './dialogue';
import { PROBE_LIMITS } from './limits';
import type { Transcript } from './transcript';

interface Reply {
  code: number;
  lines: string[];
}

/** The probe's own small SMTP dialogue (RFC 5321 EHLO, 3207 STARTTLS, 4954 AUTH). */
export class SmtpDialogue implements Dialogue {
  readonly protocol = 'smtp' as const;
  readonly alpn = 'smtp';

  async greeting(conn: ProbeConnection): Promise<{ banner: string }> {
    const reply = await readReply(conn, 'an SMTP greeting ("220")');
    if (reply.code !== 220) {
      throw new MailError('CommandFailed', `The server refused the session: "${reply.code} ${quote(reply.lines.join(' '))}".`, { detail: reply.lines.join('\n') });
    }
    return { banner: reply.lines.join('\n') };
  }

  /** EHLO lines after the first (which names the server); HELO and an empty list for pre-ESMTP servers. */
  async capabilities(conn: ProbeConnection): Promise<string[]> {
    conn.send(`EHLO ${heloName(conn)}`);
    const reply = await readReply(conn, 'a reply to EHLO');
    if (reply.code === 250) return reply.lines.slice(1);
    conn.send(`HELO ${heloName(conn)}`);
    const helo = await readReply(conn, 'a reply to HELO');
    if (helo.code !== 250) throw new MailError('CommandFailed', `The server refused EHLO and HELO: "${helo.code} ${quote(helo.lines.join(' '))}".`);
    return [];
  }

  async starttls(conn: ProbeConnection): Promise<string> {
    conn.send('STARTTLS');
    const reply = await readReply(conn, 'a reply to STARTTLS');
    const text = `${reply.code} ${reply.lines.join(' ')}`;
    if (reply.code !== 220) throw new MailError('StartTlsUnavailable', `The server refused STARTTLS: "${quote(text)}".`, { detail: text });
    return text;
  }

  async login(conn: ProbeConnection, credentials: Credentials, capabilities: readonly string[], transcript: Transcript): Promise<{ method: string }> {
    const mechs = saslMechanisms('smtp', capabilities);
    if (credentials.bearer) {
      const sasl = saslBearer(credentials, mechs);
      conn.send(`AUTH ${sasl.mech} ${sasl.payload}`, `AUTH ${sasl.mech} (secret)`);
      await expectAuthenticatedAfterBearer(conn, sasl.afterError);
      return { method: `AUTH ${sasl.mech}` };
    }
    if (mechs.includes('PLAIN')) {
      conn.send(`AUTH PLAIN ${saslPlain(credentials)}`, 'AUTH PLAIN (secret)');
      await expectAuthenticated(conn);
      return { method: 'AUTH PLAIN' };
    }
    if (mechs.includes('LOGIN')) {
      const user = Buffer.from(credentials.user, 'utf8').toString('base64');
      transcript.addBase64Secret(user);
      conn.send('AUTH LOGIN');
      await expectContinue(conn);
      conn.send(user, '(secret)');
      await expectContinue(conn);
      conn.send(Buffer.from(credentials.password, 'utf8').toString('base64'), '(secret)');
      await expectAuthenticated(conn);
      return { method: 'AUTH LOGIN' };
    }
    throw new MailError('Unsupported', `The server offers no password mechanism the probe speaks (offered: ${mechs.join(' ') || 'none'}).`);
  }

  /** EHLO once more: some servers list more (or larger limits) once the client authenticated. */
  async capabilitiesAfterLogin(conn: ProbeConnection): Promise<string[]> {
    return this.capabilities(conn);
  }

  async logout(conn: ProbeConnection): Promise<void> {
    conn.send('QUIT');
    await readReply(conn, 'a reply to QUIT');
  }
}

/** An address literal for EHLO (RFC 5321 4.1.3): the client has no name the server could check. */
function heloName(conn: ProbeConnection): string {
  const local = conn.localAddress;
  if (!local) return '[127.0.0.1]';
  return net.isIPv6(local) ? `[IPv6:${local}]` : `[${local}]`;
}

async function readReply(conn: ProbeConnection, what: string): Promise<Reply> {
  const lines: string[] = [];
  let code: number | undefined;
  for (let i = 0; i < PROBE_LIMITS.maxLinesPerResponse; i++) {
    const line = await conn.readLine();
    const m = /^(\d{3})([ -]|$)(.*)$/.exec(line);
    if (!m || (code !== undefined && Number(m[1]) !== code)) throw garbage(what, line);
    code = Number(m[1]);
    lines.push(m[3]);
    if (m[2] !== '-') return { code, lines };
  }
  throw tooManyLines(what);
}

async function expectContinue(conn: ProbeConnection): Promise<void> {
  const reply = await readReply(conn, 'a reply to AUTH');
  if (reply.code !== 334) throw authError(reply);
}

async function expectAuthenticated(conn: ProbeConnection): Promise<void> {
  const reply = await readReply(conn, 'a reply to AUTH');
  if (reply.code !== 235) throw authError(reply);
}

/** After a bearer token: 235, or the 334 error challenge that wants `afterError` before the final 535. */
async function expectAuthenticatedAfterBearer(conn: ProbeConnection, afterError: string): Promise<void> {
  let reply = await readReply(conn, 'a reply to AUTH');
  if (reply.code === 334) {
    conn.send(afterError, '(empty)');
    reply = await readReply(conn, 'a reply to AUTH');
  }
  if (reply.code !== 235) throw authError(reply);
}

function authError(reply: Reply): MailError {
  const text = `${reply.code} ${reply.lines.join(' ')}`;
  if (reply.code === 535 || reply.code === 534) return new MailError('AuthFailed', `The server rejected the user name or password: "${quote(text)}".`, { detail: text });
  return new MailError('CommandFailed', `The server refused AUTH: "${quote(text)}".`, { detail: text });
}

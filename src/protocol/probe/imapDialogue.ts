import { MailError } from '../errors';
import type { ProbeConnection } from './connection';
import { Credentials, Dialogue, garbage, quote, saslBearer, saslPlain, tooManyLines } from './dialogue';
import { hasImapToken } from './capabilityAnalysis';
import { PROBE_LIMITS } from './limits';

interface TaggedResponse {
  untagged: string[];
  status: 'OK' | 'NO' | 'BAD';
  text: string;
}

/** The probe's own small IMAP dialogue (RFC 9051/3501): greeting, CAPABILITY, ID, STARTTLS, login, LOGOUT. */
export class ImapDialogue implements Dialogue {
  readonly protocol = 'imap' as const;
  readonly alpn = 'imap';
  private tagCounter = 0;

  private nextTag(): string {
    return `P${++this.tagCounter}`;
  }

  async greeting(conn: ProbeConnection): Promise<{ banner: string; preauth?: boolean }> {
    const line = await conn.readLine();
    const m = /^\* (OK|PREAUTH|BYE)\b/i.exec(line);
    if (!m) throw garbage('an IMAP greeting ("* OK")', line);
    if (m[1].toUpperCase() === 'BYE') throw new MailError('CommandFailed', `The server refused the connection: "${quote(line)}".`, { detail: line });
    return { banner: line, ...(m[1].toUpperCase() === 'PREAUTH' ? { preauth: true } : {}) };
  }

  async capabilities(conn: ProbeConnection): Promise<string[]> {
    const response = await this.command(conn, 'CAPABILITY');
    if (response.status !== 'OK') throw new MailError('CommandFailed', `CAPABILITY was refused: "${quote(response.text)}".`);
    const tokens: string[] = [];
    for (const line of response.untagged) {
      const m = /^\* CAPABILITY (.*)$/i.exec(line);
      if (m) tokens.push(...m[1].trim().split(/\s+/).filter(Boolean));
    }
    return tokens;
  }

  async identify(conn: ProbeConnection, capabilities: readonly string[]): Promise<string | undefined> {
    if (!hasImapToken(capabilities, 'ID')) return undefined;
    const response = await this.command(conn, 'ID ("name" "Mailroom")');
    if (response.status !== 'OK') return undefined;
    const line = response.untagged.find((l) => /^\* ID /i.test(l));
    if (!line) return undefined;
    const fields = parseIdFields(line);
    const parts = [fields.name, fields.version].filter(Boolean);
    return parts.length ? parts.join(' ') : undefined;
  }

  async starttls(conn: ProbeConnection): Promise<string> {
    const response = await this.command(conn, 'STARTTLS');
    if (response.status !== 'OK') throw new MailError('StartTlsUnavailable', `The server refused STARTTLS: "${quote(response.text)}".`);
    return `${response.status} ${response.text}`.trim();
  }

  async login(conn: ProbeConnection, credentials: Credentials, capabilities: readonly string[]): Promise<{ method: string }> {
    const tag = this.nextTag();
    let method: string;
    if (credentials.bearer) {
      const offered = capabilities.filter((c) => /^AUTH=/i.test(c)).map((c) => c.slice(5));
      const sasl = saslBearer(credentials, offered);
      method = `AUTHENTICATE ${sasl.mech}`;
      if (hasImapToken(capabilities, 'SASL-IR')) {
        conn.send(`${tag} AUTHENTICATE ${sasl.mech} ${sasl.payload}`, `${tag} AUTHENTICATE ${sasl.mech} (secret)`);
      } else {
        conn.send(`${tag} AUTHENTICATE ${sasl.mech}`);
        const cont = await conn.readLine();
        if (!cont.startsWith('+')) return this.finishLogin(conn, tag, method, cont);
        conn.send(sasl.payload, '(secret)');
      }
      const next = await conn.readLine();
      // A refused token first gets an error challenge; answering it ends the exchange with NO.
      if (next.startsWith('+')) {
        conn.send(sasl.afterError, '(empty)');
        return this.finishLogin(conn, tag, method);
      }
      return this.finishLogin(conn, tag, method, next);
    }
    if (hasImapToken(capabilities, 'AUTH=PLAIN')) {
      method = 'AUTHENTICATE PLAIN';
      const payload = saslPlain(credentials);
      if (hasImapToken(capabilities, 'SASL-IR')) {
        conn.send(`${tag} AUTHENTICATE PLAIN ${payload}`, `${tag} AUTHENTICATE PLAIN (secret)`);
      } else {
        conn.send(`${tag} AUTHENTICATE PLAIN`);
        const cont = await conn.readLine();
        if (!cont.startsWith('+')) return this.finishLogin(conn, tag, method, cont);
        conn.send(payload, '(secret)');
      }
    } else if (hasImapToken(capabilities, 'LOGINDISABLED')) {
      throw new MailError('InsecureAuthRefused', 'The server lists LOGINDISABLED and offers no AUTH=PLAIN, so there is no way to send the password here.');
    } else {
      method = 'LOGIN';
      if (!isQuotable(credentials.user) || !isQuotable(credentials.password)) {
        throw new MailError('Unsupported', 'The user name or password has characters LOGIN cannot quote, and the server offers no AUTH=PLAIN.');
      }
      conn.send(`${tag} LOGIN ${imapQuote(credentials.user)} ${imapQuote(credentials.password)}`, `${tag} LOGIN (secret) (secret)`);
    }
    return this.finishLogin(conn, tag, method);
  }

  private async finishLogin(conn: ProbeConnection, tag: string, method: string, firstLine?: string): Promise<{ method: string }> {
    const response = await this.readTagged(conn, tag, firstLine);
    if (response.status !== 'OK') {
      throw new MailError('AuthFailed', `The server rejected the user name or password: "${quote(response.text)}".`, { detail: response.text });
    }
    return { method };
  }

  async capabilitiesAfterLogin(conn: ProbeConnection): Promise<string[]> {
    return this.capabilities(conn);
  }

  async logout(conn: ProbeConnection): Promise<void> {
    await this.command(conn, 'LOGOUT', true);
  }

  private async command(conn: ProbeConnection, command: string, byeExpected = false): Promise<TaggedResponse> {
    const tag = this.nextTag();
    conn.send(`${tag} ${command}`);
    return this.readTagged(conn, tag, undefined, byeExpected);
  }

  /** Reads untagged lines (joining IMAP literals into them) until the tagged reply. */
  private async readTagged(conn: ProbeConnection, tag: string, firstLine?: string, byeExpected = false): Promise<TaggedResponse> {
    const untagged: string[] = [];
    let pending = firstLine;
    for (let i = 0; i < PROBE_LIMITS.maxLinesPerResponse; i++) {
      let line = pending ?? (await conn.readLine());
      pending = undefined;
      for (let literal = /\{(\d+)\+?\}$/.exec(line); literal; literal = /\{(\d+)\+?\}$/.exec(line)) {
        const bytes = await conn.readBytes(Number(literal[1]));
        line = `${line.slice(0, literal.index)}${JSON.stringify(bytes.toString('utf8'))}${await conn.readLine()}`;
      }
      if (line.startsWith(`${tag} `)) {
        const m = /^\S+ (OK|NO|BAD)\b ?(.*)$/i.exec(line);
        if (!m) throw garbage(`a tagged OK, NO or BAD for ${tag}`, line);
        return { untagged, status: m[1].toUpperCase() as TaggedResponse['status'], text: m[2] };
      }
      if (!byeExpected && /^\* BYE\b/i.test(line)) throw new MailError('ConnectionClosed', `The server ended the session: "${quote(line)}".`, { detail: line });
      if (!line.startsWith('* ') && !line.startsWith('+')) throw garbage(`an IMAP response to ${tag}`, line);
      untagged.push(line);
    }
    throw tooManyLines(`the response to ${tag}`);
  }
}

function isQuotable(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

function imapQuote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `* ID ("name" "Dovecot" "version" "2.3.19")` → {name: "Dovecot", version: "2.3.19"}. */
export function parseIdFields(line: string): Record<string, string> {
  const values = idValues(line.replace(/^\* ID\s*/i, ''));
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < values.length; i += 2) {
    const key = values[i];
    const value = values[i + 1];
    if (key && value) out[key.toLowerCase()] = value;
  }
  return out;
}

/**
 * The quoted strings (unescaped) and NILs of an ID list, in order, in one pass. A string left
 * open ends the list. (A global `"((?:[^"\\]|\\.)*)"` pattern retried an open string from each
 * of its quotes: quadratic on a line of `\"`.)
 */
function idValues(body: string): Array<string | null> {
  const values: Array<string | null> = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '"') {
      let j = i + 1;
      while (j < body.length && body[j] !== '"') j += body[j] === '\\' ? 2 : 1;
      if (j >= body.length) break;
      values.push(body.slice(i + 1, j).replace(/\\(.)/g, '$1'));
      i = j;
    } else if (/^NIL(?!\w)/i.test(body.slice(i, i + 4)) && !/\w/.test(body[i - 1] ?? '')) {
      values.push(null);
      i += 2;
    }
  }
  return values;
}

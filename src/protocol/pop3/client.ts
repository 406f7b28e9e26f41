/**
 * The POP3 session as an explicit state machine (RFC 1939 section 3):
 *
 *   AUTHORIZATION --(login +OK)--> TRANSACTION --(QUIT sent)--> UPDATE --(+OK)--> CLOSED
 *         \_____________________________\__________(close(), failure)__________/
 *
 * Each command names the states it is allowed in; anything else fails before a byte is sent.
 * `connect.ts` drives AUTHORIZATION and hands out the client (as `Pop3Session`) in TRANSACTION.
 */
import type * as tls from 'node:tls';
import { startTlsRefused } from '../connectionErrors';
import { MailError } from '../errors';
import type { ProtocolLog } from '../log';
import { authenticate, chooseAuthMethod, type Credentials, type Pop3AuthMethod } from './auth';
import { apopTimestamp, parseCapabilities, type Pop3Capabilities } from './capabilities';
import type { Pop3Connection } from './connection';
import { bodyLines, type Pop3Response, type ResponseKind } from './framing';
import type { Pop3Limits } from './limits';
import { parseList, parseStat, parseUidl, responseCode } from './responses';

export type Pop3State = 'authorization' | 'transaction' | 'update' | 'closed';

/** A POP3 session in TRANSACTION state. */
export interface Pop3Session {
  /** After auth (CAPA is re-read after STLS and after login). */
  readonly capabilities: Pop3Capabilities;
  readonly greeting: string;
  readonly apopTimestamp: string | undefined;
  readonly state: Pop3State;
  stat(): Promise<{ count: number; size: number }>;
  list(): Promise<Array<{ msg: number; size: number }>>;
  /** MailError 'Unsupported' when the server has no UIDL. */
  uidl(): Promise<Array<{ msg: number; uid: string }>>;
  /** Exact bytes: dot-unstuffed, CRLF kept, no terminator. */
  retr(msg: number): Promise<Buffer>;
  /**
   * Pipelined when PIPELINING is offered (bounded window), sequential otherwise; onMessage is
   * awaited in order before the next message is handed over; a rejection stops the loop.
   */
  retrMany(msgs: number[], onMessage: (msg: number, bytes: Buffer) => Promise<void> | void): Promise<void>;
  /** MailError 'Unsupported' when TOP fails and the server did not list TOP in CAPA. */
  top(msg: number, lines: number): Promise<Buffer>;
  dele(msg: number): Promise<void>;
  rset(): Promise<void>;
  noop(): Promise<void>;
  /** Sends QUIT; resolves only on +OK (deletions committed); throws otherwise. */
  quit(): Promise<void>;
  /** Destroys the socket without QUIT: the server rolls back DELEs. */
  close(): void;
}

const ALLOWED: Record<string, readonly Pop3State[]> = {
  CAPA: ['authorization', 'transaction'],
  STLS: ['authorization'],
  USER: ['authorization'],
  PASS: ['authorization'],
  APOP: ['authorization'],
  AUTH: ['authorization'],
  STAT: ['transaction'],
  LIST: ['transaction'],
  UIDL: ['transaction'],
  RETR: ['transaction'],
  TOP: ['transaction'],
  DELE: ['transaction'],
  RSET: ['transaction'],
  NOOP: ['transaction'],
  QUIT: ['authorization', 'transaction'],
};

export class Pop3Client implements Pop3Session {
  private currentState: Pop3State = 'authorization';
  private caps: Pop3Capabilities = parseCapabilities(undefined);
  private greetingText = '';
  private timestamp: string | undefined;
  /** Set while an AUTH exchange runs: continuation lines are not commands. */
  private inSasl = false;
  /** Message sizes from the last LIST: how long RETR may take (Pop3Pace). */
  private listed = new Map<number, number>();

  constructor(
    private readonly conn: Pop3Connection,
    private readonly log: ProtocolLog,
    private readonly limits: Pop3Limits,
  ) {}

  get state(): Pop3State {
    if (this.currentState !== 'closed' && this.conn.failed) this.currentState = 'closed';
    return this.currentState;
  }
  get capabilities(): Pop3Capabilities {
    return this.caps;
  }
  get greeting(): string {
    return this.greetingText;
  }
  get apopTimestamp(): string | undefined {
    return this.timestamp;
  }
  get where(): string {
    return this.conn.where;
  }
  get encrypted(): boolean {
    return this.conn.encrypted;
  }

  // ---- AUTHORIZATION (used by connect.ts) ----

  async readGreeting(): Promise<void> {
    const r = await this.conn.greeting();
    if (r.status !== 'ok') {
      throw this.loginError(r, `${this.where} refused the connection`);
    }
    this.greetingText = r.text;
    this.timestamp = apopTimestamp(r.text);
  }

  /** CAPA; a -ERR means a pre-RFC 2449 server (everything "unknown"). */
  async capa(): Promise<Pop3Capabilities> {
    const r = await this.send('CAPA', 'multi');
    this.caps = parseCapabilities(r.status === 'ok' ? bodyLines(r.body) : undefined);
    this.log.debug(`capabilities: ${this.caps.raw ? this.caps.raw.join(' | ') : '(CAPA not supported)'}`);
    return this.caps;
  }

  /**
   * STLS then the TLS handshake; StartTlsUnavailable when the server refuses. `verify` judges the
   * finished handshake (a pinned certificate) before anything else is sent.
   */
  async startTls(options: tls.ConnectionOptions, verify?: (socket: tls.TLSSocket) => MailError | undefined): Promise<void> {
    const r = await this.send('STLS', 'upgrade');
    if (r.status !== 'ok') {
      throw startTlsRefused(this.where, r.text, 'STLS');
    }
    await this.conn.upgradeToTls(options, verify);
  }

  /** Logs in and enters TRANSACTION. */
  async login(requested: Pop3AuthMethod, creds: Credentials): Promise<void> {
    this.require('AUTH');
    const method = chooseAuthMethod(requested, this.caps, this.timestamp, this.where);
    this.log.info(`logging in as ${creds.user} with ${method.toUpperCase()}`);
    const send = (line: string, logAs?: string): Promise<Pop3Response> => {
      if (!this.inSasl) {
        const verb = line.split(' ')[0].toUpperCase();
        this.require(verb);
        // The lines after AUTH answer the server's challenges; they are not commands.
        if (verb === 'AUTH') this.inSasl = true;
      }
      return this.conn.command(line, 'single', logAs === undefined ? {} : { logAs });
    };
    let r: Pop3Response;
    try {
      r = await authenticate(send, method, creds, this.timestamp);
    } finally {
      this.inSasl = false;
    }
    if (r.status !== 'ok') throw this.loginError(r, `${this.where} rejected the user name or password`);
    this.currentState = 'transaction';
    // RFC 2449: capabilities may change after login (PIPELINING, EXPIRE, LOGIN-DELAY values).
    if (this.caps.raw !== undefined) await this.capa();
    this.conn.pipelining = this.caps.pipelining;
  }

  private loginError(r: Pop3Response, fallback: string): MailError {
    const code = responseCode(r.text);
    if (code === 'IN-USE') {
      return new MailError(
        'MailboxInUse',
        `The mailbox on ${this.where} is in use by another session (another mail program or device is checking it). Try again when it has finished.`,
        { detail: r.text },
      );
    }
    if (code === 'LOGIN-DELAY') {
      const wait = this.caps.loginDelay;
      const minutes = wait === undefined ? undefined : Math.ceil(wait / 60);
      return new MailError(
        'LoginDelayed',
        `${this.where} allows a login only ${minutes === undefined ? 'every few minutes' : `every ${minutes} minute${minutes === 1 ? '' : 's'}`}; the last check was too recent. Try again later.`,
        { detail: r.text },
      );
    }
    if (code === 'SYS/TEMP' || code === 'SYS/PERM') {
      return new MailError('CommandFailed', `${this.where} could not open the mailbox: ${stripCode(r.text) || 'no reason given'}.`, { detail: r.text });
    }
    return new MailError('AuthFailed', `${fallback}${r.text ? ` (${stripCode(r.text)})` : ''}. Check them and try again.`, { detail: r.text });
  }

  // ---- TRANSACTION ----

  async stat(): Promise<{ count: number; size: number }> {
    return parseStat(await this.ok('STAT', 'single'));
  }

  async list(): Promise<Array<{ msg: number; size: number }>> {
    const list = parseList(await this.ok('LIST', 'multi'));
    this.listed = new Map(list.map((l) => [l.msg, l.size]));
    return list;
  }

  async uidl(): Promise<Array<{ msg: number; uid: string }>> {
    if (this.caps.uidl === false) throw this.unsupported('UIDL', undefined);
    const r = await this.send('UIDL', 'multi');
    if (r.status !== 'ok') throw this.unsupported('UIDL', r.text);
    return parseUidl(r);
  }

  async retr(msg: number): Promise<Buffer> {
    const r = await this.ok(`RETR ${messageNumber(msg)}`, 'multi', this.listed.get(msg));
    return r.body ?? Buffer.alloc(0);
  }

  async retrMany(msgs: number[], onMessage: (msg: number, bytes: Buffer) => Promise<void> | void): Promise<void> {
    msgs.forEach(messageNumber);
    this.require('RETR');
    const window = this.caps.pipelining ? this.limits.pipelineDepth : 1;
    // The window is refilled once half of it has been handed over, not after every message: the
    // RETRs of one refill leave in one write (one segment, one wake-up of the server) instead of
    // a write per message, which cost more CPU than the framing of the replies on a busy machine.
    const refillBelow = window - Math.max(1, Math.floor(window / 2));
    const issued: Array<Promise<Buffer> | undefined> = [];
    let next = 0;
    for (let i = 0; i < msgs.length; i++) {
      if (next - i <= refillBelow) {
        while (next < msgs.length && next < i + window) {
          const p = this.retr(msgs[next]);
          // Read-ahead results are awaited in order below; a loop stopped early must not leave
          // their rejections unhandled.
          p.catch(() => undefined);
          issued.push(p);
          next++;
        }
      }
      const bytes = await (issued[i] as Promise<Buffer>);
      issued[i] = undefined; // let the message go once handed over
      await onMessage(msgs[i], bytes);
    }
  }

  async top(msg: number, lines: number): Promise<Buffer> {
    if (!Number.isSafeInteger(lines) || lines < 0) throw new RangeError('TOP needs a whole number of lines, 0 or more');
    if (this.caps.top === false) throw this.unsupported('TOP', undefined);
    const r = await this.send(`TOP ${messageNumber(msg)} ${lines}`, 'multi');
    if (r.status !== 'ok') {
      if (this.caps.top === true) throw this.commandFailed(`TOP ${msg}`, r);
      throw this.unsupported('TOP', r.text);
    }
    return r.body ?? Buffer.alloc(0);
  }

  async dele(msg: number): Promise<void> {
    await this.ok(`DELE ${messageNumber(msg)}`, 'single');
  }

  async rset(): Promise<void> {
    await this.ok('RSET', 'single');
  }

  async noop(): Promise<void> {
    await this.ok('NOOP', 'single');
  }

  async quit(): Promise<void> {
    const wasTransaction = this.state === 'transaction';
    const pending = this.send('QUIT', 'single');
    this.currentState = wasTransaction ? 'update' : 'closed';
    let r: Pop3Response;
    try {
      r = await pending;
    } catch (err) {
      this.currentState = 'closed';
      if (MailError.is(err, 'ConnectionClosed') && wasTransaction) {
        throw new MailError('ConnectionClosed', `${this.where} closed the connection before confirming QUIT, so messages marked for deletion may still be on the server.`, {
          detail: err.detail ?? err.message,
          cause: err,
        });
      }
      throw err;
    }
    this.currentState = 'closed';
    this.conn.end();
    if (r.status !== 'ok') {
      throw new MailError('CommandFailed', `${this.where} could not finish the session; messages marked for deletion were not removed: ${r.text || 'no reason given'}.`, {
        detail: r.text,
      });
    }
  }

  close(): void {
    this.currentState = 'closed';
    this.conn.destroy();
  }

  // ---- helpers ----

  private require(verb: string): void {
    const state = this.state;
    if (state === 'closed') {
      throw this.conn.failed && this.conn.failed.message !== 'The POP3 session is closed.'
        ? this.conn.failed
        : new MailError('ConnectionClosed', `The POP3 session with ${this.where} is closed.`);
    }
    const allowed = ALLOWED[verb];
    if (!allowed?.includes(state)) {
      throw new MailError('ProtocolError', `${verb} is not allowed in the POP3 ${state.toUpperCase()} state.`);
    }
  }

  /** Sends a command after the state check; resolves with +OK and -ERR alike. */
  private send(line: string, kind: ResponseKind, announcedBytes?: number): Promise<Pop3Response> {
    try {
      this.require(line.split(' ')[0]);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.conn.command(line, kind, announcedBytes === undefined ? {} : { announcedBytes });
  }

  /** Sends a command and turns -ERR into CommandFailed. */
  private async ok(line: string, kind: ResponseKind, announcedBytes?: number): Promise<Pop3Response> {
    const r = await this.send(line, kind, announcedBytes);
    if (r.status !== 'ok') throw this.commandFailed(line, r);
    return r;
  }

  private commandFailed(line: string, r: Pop3Response): MailError {
    return new MailError('CommandFailed', `${this.where} refused ${line}: ${r.text || 'no reason given'}.`, { detail: r.text });
  }

  private unsupported(command: 'UIDL' | 'TOP', serverText: string | undefined): MailError {
    const why =
      command === 'UIDL'
        ? 'so Mailroom cannot tell which messages it already has. Leaving mail on the server and headers-only download need UIDL; download-and-delete still works'
        : 'so message headers cannot be fetched on their own; whole messages are downloaded instead';
    return new MailError('Unsupported', `${this.where} does not support ${command}, ${why}.`, serverText === undefined ? {} : { detail: serverText });
  }
}

/** Validates a message number before it is put on the wire. */
function messageNumber(msg: number): number {
  if (!Number.isSafeInteger(msg) || msg < 1) {
    throw new MailError('MessageNotFound', `There is no POP3 message number ${String(msg)}; message numbers start at 1.`);
  }
  return msg;
}

function stripCode(text: string): string {
  return text.replace(/^\[[^\]]*\]\s*/, '');
}

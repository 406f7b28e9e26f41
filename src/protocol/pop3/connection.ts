/**
 * One POP3 byte stream: writes command lines, matches responses to them in order, times out a
 * command that makes no progress or comes in too slowly (Pop3Pace), and upgrades the stream to
 * TLS after STLS. It knows nothing about POP3 states; `client.ts` does.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { toMailError, type EndpointLabel } from '../connectionErrors';
import { MailError } from '../errors';
import { redactSecrets, type ProtocolLog } from '../log';
import { paceAllowanceMs } from '../pace';
import { Pop3Framer, type Pop3Response, type ResponseKind } from './framing';
import type { Pop3Limits, Pop3Pace } from './limits';

export interface CommandOptions {
  /** What the log shows instead of the line (for credentials); the line itself is never logged then. */
  logAs?: string;
  /** Size of the data the response will carry, when known beforehand (LIST before RETR). */
  announcedBytes?: number;
}

interface Pending {
  line: string | undefined; // undefined: the greeting
  kind: ResponseKind;
  logAs: string;
  announcedBytes: number | undefined;
  /** Set when its response starts being read (it is the oldest command in flight). */
  startedAt?: number;
  received: number;
  resolve(response: Pop3Response): void;
  reject(err: MailError): void;
}

/** Commands with nothing to mask (at most message numbers): logged as they are, without running the masks per RETR. */
const NO_ARGUMENT_TO_HIDE = /^(?:RETR|DELE|TOP|LIST|UIDL|STAT|NOOP|RSET|QUIT|CAPA|STLS)(?: \d{1,12}){0,2}$/;

/** "+OK 120 octets" (RFC 1939 RETR): the size announced, when the server says it. */
const OCTETS = /^(\d{1,12}) octets\b/i;

export class Pop3Connection {
  /** Set once the server offers PIPELINING and the session is in TRANSACTION. */
  pipelining = false;
  private socket: net.Socket;
  private readonly framer: Pop3Framer;
  private readonly queued: Pending[] = [];
  private readonly inFlight: Pending[] = [];
  private failure: MailError | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When `timer` fires (Date.now() time). */
  private timerDue = 0;
  /** When the head response last received bytes (or started). */
  private lastProgressAt = 0;
  private pumpScheduled = false;
  private closing = false;
  private readonly onData = (chunk: Buffer): void => {
    const head = this.inFlight[0];
    if (head) {
      head.received += chunk.length;
      this.lastProgressAt = Date.now();
      this.armTimer();
    }
    this.framer.push(chunk);
  };
  private readonly onError = (err: Error): void => this.fail(toMailError(err, this.endpoint));
  private readonly onClose = (): void => {
    if (this.closing && this.inFlight.length === 0) {
      this.fail(new MailError('ConnectionClosed', 'The POP3 session is closed.'));
      return;
    }
    this.fail(new MailError('ConnectionClosed', `${this.where} closed the connection unexpectedly.`));
  };

  constructor(
    socket: net.Socket,
    private readonly limits: Pop3Limits,
    private readonly log: ProtocolLog,
    private readonly timeoutMs: number,
    private readonly endpoint: EndpointLabel,
    private readonly pace: Pop3Pace,
  ) {
    this.socket = socket;
    this.framer = new Pop3Framer(limits, {
      response: (r) => this.onResponse(r),
      dataFollows: (text) => this.onDataFollows(text),
      unsolicited: (line) => this.onUnsolicited(line),
      error: (err) => this.fail(err),
    });
    this.attach(socket);
  }

  get where(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  get encrypted(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  /** The error that ended this connection, if it has ended. */
  get failed(): MailError | undefined {
    return this.failure;
  }

  /** Waits for the greeting (call once, first). */
  greeting(): Promise<Pop3Response> {
    return this.enqueue({ line: undefined, kind: 'single', logAs: '', announcedBytes: undefined });
  }

  /** Sends one command line (no CRLF) and resolves with its response, +OK or -ERR alike. */
  command(line: string, kind: ResponseKind, options: CommandOptions = {}): Promise<Pop3Response> {
    if (/[\r\n]/.test(line)) {
      return Promise.reject(new MailError('ProtocolError', 'A POP3 command may not contain a line break.'));
    }
    return this.enqueue({ line, kind, logAs: options.logAs ?? (NO_ARGUMENT_TO_HIDE.test(line) ? line : redactSecrets(line)), announcedBytes: options.announcedBytes });
  }

  /**
   * After STLS was answered +OK: runs the TLS handshake on the same socket. Rejects with the raw
   * TLS error (certificate codes included) so the caller can map it with the certificate at hand.
   */
  async upgradeToTls(options: tls.ConnectionOptions, verify?: (socket: tls.TLSSocket) => MailError | undefined): Promise<void> {
    if (this.failure) throw this.failure;
    const plain = this.socket;
    this.detach(plain);
    // Keep an error listener: the plain socket may still report a reset while TLS takes over.
    plain.on('error', () => undefined);
    const servername = net.isIP(this.endpoint.host) ? undefined : this.endpoint.host;
    const secure = tls.connect({ ...options, socket: plain, ...(servername ? { servername } : {}) });
    this.socket = secure;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        secure.destroy();
        reject(new MailError('Timeout', `${this.where} did not complete the TLS handshake within ${Math.round(this.timeoutMs / 1000)} s.`));
      }, this.timeoutMs);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        const refused = verify?.(secure);
        if (!refused) return resolve();
        secure.destroy();
        reject(refused);
      });
      secure.once('error', (err) => {
        clearTimeout(timer);
        secure.destroy();
        reject(err);
      });
    });
    this.attach(secure);
    this.framer.resume();
    this.log.debug(`TLS established (${secure.getProtocol() ?? 'unknown protocol'})`);
  }

  /** Half-closes after QUIT; the server closes its side. */
  end(): void {
    this.closing = true;
    this.clearTimer();
    this.socket.end();
    // A server that never closes its side must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), this.timeoutMs).unref();
  }

  /** Destroys the socket now; pending commands fail with `reason`. */
  destroy(reason?: MailError): void {
    this.closing = true;
    this.fail(reason ?? new MailError('ConnectionClosed', 'The POP3 session is closed.'));
  }

  private attach(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on('data', this.onData).on('error', this.onError).on('close', this.onClose);
  }

  private detach(socket: net.Socket): void {
    socket.off('data', this.onData).off('error', this.onError).off('close', this.onClose);
  }

  private enqueue(pending: Omit<Pending, 'resolve' | 'reject' | 'received'>): Promise<Pop3Response> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Pop3Response>((resolve, reject) => {
      this.queued.push({ ...pending, received: 0, resolve, reject });
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        // Commands issued in the same tick leave in one write.
        queueMicrotask(() => this.pump());
      }
    });
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.failure) return;
    const window = this.pipelining ? this.limits.pipelineDepth : 1;
    let out = '';
    while (this.queued.length > 0 && this.inFlight.length < window) {
      const next = this.queued.shift() as Pending;
      // Only pipeline plain TRANSACTION commands: a command that changes the stream (STLS) or
      // the state waits until everything before it is answered.
      if (this.inFlight.length > 0 && next.kind === 'upgrade') {
        this.queued.unshift(next);
        break;
      }
      this.inFlight.push(next);
      if (this.inFlight.length === 1) this.startClock(next);
      this.framer.expect(next.kind);
      if (next.line !== undefined) {
        out += `${next.line}\r\n`;
        this.log.trace(`C: ${next.logAs}`);
      }
    }
    if (this.inFlight.length > 0 && !this.timer) this.armTimer();
    if (out) this.socket.write(out, 'latin1');
  }

  private onResponse(response: Pop3Response): void {
    const head = this.inFlight.shift();
    if (!head) return;
    this.log.trace(
      `S: ${response.status === 'ok' ? '+OK' : response.status === 'err' ? '-ERR' : '+'} ${response.text}` +
        (response.body ? ` (${response.body.length} bytes of data)` : ''),
    );
    if (this.inFlight.length > 0) {
      this.startClock(this.inFlight[0]);
      this.armTimer();
    } else {
      this.clearTimer();
    }
    head.resolve(response);
    if (this.queued.length > 0) this.pump();
  }

  private onUnsolicited(line: string): void {
    this.log.warn(`S (unsolicited): ${line}`);
    const text = line.replace(/^-ERR\s*/, '');
    this.fail(
      line.startsWith('-ERR')
        ? new MailError('ConnectionClosed', `${this.where} ended the session: ${text || 'no reason given'}.`, { detail: line })
        : new MailError('ProtocolError', `${this.where} sent a line nobody asked for, so the session was closed.`, { detail: line.slice(0, 200) }),
    );
  }

  private onDataFollows(text: string): void {
    const head = this.inFlight[0];
    const octets = OCTETS.exec(text);
    if (!head || !octets) return;
    const announced = Math.min(Number(octets[1]), this.limits.maxMessageBytes);
    // The smaller of LIST's size and RETR's: a server cannot buy itself time by announcing more.
    head.announcedBytes = head.announcedBytes === undefined ? announced : Math.min(head.announcedBytes, announced);
  }

  /** The response of `pending` starts being read now (bytes before belong to earlier responses). */
  private startClock(pending: Pending): void {
    pending.startedAt = Date.now();
    pending.received = 0;
    this.lastProgressAt = pending.startedAt;
  }

  /**
   * When the head response is too slow (Pop3Pace): the grace, plus the time its bytes so far take
   * at the minimum rate, counting no more than the announced size (with slack: LIST sizes may
   * count LF line ends) and never more than the message limit.
   */
  private deadlineOf(head: Pending): number {
    const cap = head.announcedBytes === undefined ? this.limits.maxMessageBytes : head.announcedBytes + head.announcedBytes / 4 + 4096;
    const credited = Math.min(head.received, cap);
    return (head.startedAt ?? Date.now()) + paceAllowanceMs(this.pace, credited);
  }

  /** Fails the session when the head response makes no progress for timeoutMs, or falls behind its pace. */
  private armTimer(): void {
    const head = this.inFlight[0];
    if (!head) return this.clearTimer();
    const due = Math.min(this.lastProgressAt + this.timeoutMs, this.deadlineOf(head));
    // A timer due no later stays armed: it checks whatever response is at the head when it fires
    // and re-arms, so it is never late, and a chunk of data costs no timer of its own.
    if (this.timer && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, due - Date.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    const head = this.inFlight[0];
    if (!head) return;
    const what = head.line === undefined ? 'greeting' : `answer to ${head.logAs.split(' ')[0]}`;
    const now = Date.now();
    const elapsed = now - (head.startedAt ?? now);
    if (now < this.deadlineOf(head)) {
      // A timer may fire a millisecond early: only a real silence of timeoutMs counts.
      if (now - this.lastProgressAt < this.timeoutMs) {
        this.armTimer();
        return;
      }
      const verb = head.line === undefined ? 'greet' : `answer ${head.logAs.split(' ')[0]}`;
      this.fail(new MailError('Timeout', `${this.where} did not ${verb} within ${Math.round(this.timeoutMs / 1000)} s.`));
      return;
    }
    this.fail(
      new MailError(
        'Timeout',
        `${this.where} is too slow: its ${what} came in at ${formatRate((head.received * 1000) / Math.max(elapsed, 1))} for ${formatSeconds(elapsed)}, ` +
          `below the ${formatRate(this.pace.minBytesPerSecond)} Mailroom waits for, so it stopped. The server or the network may be overloaded; try again later.`,
        { detail: `${head.received} bytes in ${elapsed} ms${head.announcedBytes === undefined ? '' : ` of ${head.announcedBytes} announced`}` },
      ),
    );
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fail(err: MailError): void {
    if (this.failure) return;
    this.failure = err;
    this.clearTimer();
    this.socket.destroy();
    const pending = [...this.inFlight.splice(0), ...this.queued.splice(0)];
    if (pending.length > 0 && err.code !== 'ConnectionClosed') this.log.warn(`connection failed: ${err.message}`);
    for (const p of pending) p.reject(err);
  }
}

function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond >= 1024 ? `${(bytesPerSecond / 1024).toFixed(1)} KB/s` : `${Math.round(bytesPerSecond)} bytes/s`;
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

import type { ImapFlow } from 'imapflow';
import { MailError, MailErrorCode } from '../../errors';
import type { ProtocolLog } from '../../log';
import type { Backoff } from './backoff';
import type { Clock } from './clock';

export type LinkRole = 'command' | 'idle';

/** An opened connection and the slot (lease) it holds; `release` gives the slot back after close. */
export interface OpenedConnection {
  client: ImapFlow;
  release(): Promise<void>;
}

export interface LinkOptions {
  role: LinkRole;
  log: ProtocolLog;
  clock: Clock;
  backoff: Backoff;
  /** Takes a slot and connects; throws a MailError. */
  open(): Promise<OpenedConnection>;
  /** Runs after connect (e.g. SELECT + IDLE); a throw counts as a failed attempt. */
  ready?(client: ImapFlow): Promise<void>;
  /** Connected; `afterLoss` when a previous connection of this link was lost (events may be missing). */
  onUp(client: ImapFlow, afterLoss: boolean): void;
  /** The connection is gone (lost or closed on purpose). */
  onDown(client: ImapFlow): void;
  onChange(): void;
}

/**
 * Failures that retrying cannot fix: the user has to act (password, sign-in, certificate, settings). They
 * are never retried in the background; the next explicit use tries once more.
 */
const PERMANENT: ReadonlySet<MailErrorCode> = new Set<MailErrorCode>([
  'AuthFailed',
  'PasswordMissing',
  // A refused token was refreshed once and refused again, or the sign-in ended: only the user can sign in.
  'SignInRequired',
  'CertificateUntrusted',
  'InsecureAuthRefused',
  'InvalidAccount',
  'StartTlsUnavailable',
  'TlsFailed',
  // A server whose greeting or login answers break a size limit will break it again (see ../limits.ts).
  'LimitExceeded',
]);

export function isPermanentFailure(error: MailError): boolean {
  return PERMANENT.has(error.code);
}

/** How long LOGOUT may take when a connection is closed on purpose before the socket is cut. */
const LOGOUT_TIMEOUT_MS = 3000;

/**
 * One connection role of the supervisor: connects once at a time, notices the connection dying
 * (imapflow `close`), and while `wanted` reconnects with backoff. A drop is retried at once, later
 * failures after the backoff delay.
 */
export class Link {
  client: ImapFlow | undefined;
  lastError: MailError | undefined;
  /** Reconnect in the background after a loss or a failed attempt. */
  wanted = false;
  private connecting: Promise<ImapFlow> | undefined;
  private retryTimer: unknown;
  private release: (() => Promise<void>) | undefined;
  private releasing: Promise<void> | undefined;
  private lost = false;
  private closed = false;

  constructor(private readonly options: LinkOptions) {}

  get connected(): boolean {
    return this.client?.usable === true;
  }

  get isConnecting(): boolean {
    return this.connecting !== undefined;
  }

  /** Failed attempts since the last success: the server is unreachable. */
  get inOutage(): boolean {
    return this.options.backoff.attempts > 0 && (this.retryTimer !== undefined || this.connecting !== undefined);
  }

  get retryScheduled(): boolean {
    return this.retryTimer !== undefined;
  }

  /** The live client, connecting first if needed (single flight). */
  connect(): Promise<ImapFlow> {
    if (this.closed) return Promise.reject(new MailError('ConnectionClosed', 'The connection was closed.'));
    if (this.client?.usable) return Promise.resolve(this.client);
    this.connecting ??= this.attempt().finally(() => {
      this.connecting = undefined;
      this.options.onChange();
    });
    this.options.onChange();
    return this.connecting;
  }

  /** Waits for a connection attempt already running, if any. */
  pending(): Promise<ImapFlow> | undefined {
    return this.connecting;
  }

  /** Retry now instead of waiting out the backoff (user refresh, OS wake). */
  kick(): void {
    if (this.closed || !this.wanted || this.client?.usable || this.connecting) return;
    this.cancelRetry();
    this.connect().catch(() => undefined);
  }

  /** Closes the connection on purpose (LOGOUT, then the socket); no reconnect follows. */
  async disconnect(): Promise<void> {
    this.cancelRetry();
    const client = this.client;
    if (!client) return;
    this.detach(client);
    let timer: unknown;
    await Promise.race([
      client.logout().catch(() => undefined),
      new Promise((resolve) => (timer = this.options.clock.setTimeout(() => resolve(undefined), LOGOUT_TIMEOUT_MS))),
    ]);
    this.options.clock.clearTimeout(timer);
    client.close();
    await this.releaseSlot();
    this.options.onChange();
  }

  /** Drops a connection found dead (or that must go at once) and, if wanted, reconnects. */
  async discard(client: ImapFlow): Promise<void> {
    if (this.client !== client) return;
    this.detach(client);
    client.close();
    await this.releaseSlot();
    this.afterLoss();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wanted = false;
    await this.disconnect();
  }

  private async attempt(): Promise<ImapFlow> {
    this.cancelRetry();
    const previous = this.client;
    if (previous) {
      this.detach(previous);
      previous.close();
      await this.releaseSlot();
    }
    await this.releasing;
    let opened: OpenedConnection | undefined;
    try {
      opened = await this.options.open();
      const client = opened.client;
      this.release = opened.release;
      if (this.closed) throw new MailError('ConnectionClosed', 'The connection was closed.');
      this.client = client;
      client.on('close', () => this.onClose(client));
      if (!client.usable) throw new MailError('ConnectionClosed', 'The connection closed while it was being set up.');
      await this.options.ready?.(client);
      if (!client.usable) throw new MailError('ConnectionClosed', 'The connection closed while it was being set up.');
      const afterLoss = this.lost || this.options.backoff.attempts > 0;
      this.lost = false;
      this.lastError = undefined;
      this.options.backoff.reset();
      this.options.onUp(client, afterLoss);
      return client;
    } catch (err) {
      const error = MailError.from(err);
      if (opened) {
        if (this.client === opened.client) this.detach(opened.client);
        opened.client.close();
        await this.releaseSlot();
      }
      this.lastError = error;
      if (this.closed) throw error;
      if (isPermanentFailure(error)) {
        this.options.backoff.reset();
        this.options.log.warn(`${this.options.role} connection failed: ${error.message} Not retrying until asked.`);
      } else if (this.wanted) {
        this.scheduleRetry(this.options.backoff.next(), error);
      }
      throw error;
    }
  }

  private onClose(client: ImapFlow): void {
    if (this.client !== client) return;
    this.detach(client);
    void this.releaseSlot().then(() => this.afterLoss());
  }

  private afterLoss(): void {
    if (this.closed) return;
    this.lost = true;
    this.options.log.warn(`${this.options.role} connection lost${this.wanted ? '; reconnecting' : ''}`);
    this.options.onChange();
    if (this.wanted) this.scheduleRetry(0);
  }

  private detach(client: ImapFlow): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.options.onDown(client);
  }

  /** Gives the slot back; a new attempt waits for this so the old and new never both count. */
  private releaseSlot(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    if (release) {
      const done = release().catch(() => undefined);
      this.releasing = (this.releasing ?? Promise.resolve()).then(() => done);
    }
    return this.releasing ?? Promise.resolve();
  }

  private scheduleRetry(delayMs: number, error?: MailError): void {
    if (this.closed || this.retryTimer !== undefined) return;
    if (error) {
      this.options.log.warn(`${this.options.role} connection failed (${error.detail ?? error.code}); next attempt in ${Math.round(delayMs / 100) / 10} s`);
    }
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.wanted || this.closed || this.client?.usable) return;
      this.connect().catch(() => undefined);
    }, delayMs);
    this.options.onChange();
  }

  private cancelRetry(): void {
    if (this.retryTimer === undefined) return;
    this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

import type { ImapFlow } from 'imapflow';
import type { ProtocolLog } from '../../log';
import type { Clock } from './clock';
import type { MailboxEvent, WatchSnapshot } from './events';

export interface IdleWatcherOptions {
  path: string;
  log: ProtocolLog;
  clock: Clock;
  /** NOOP this often while idling: keeps NAT state alive and proves the peer is still there. */
  keepAliveMs: number;
  /** A NOOP unanswered for this long means the connection is dead. */
  probeTimeoutMs: number;
  onEvent(event: MailboxEvent): void;
}

/** IDLE that returns this quickly, this many times in a row, is not idling: give the connection up. */
const FAST_RETURN_MS = 50;
const FAST_RETURN_LIMIT = 5;

/**
 * Keeps one authenticated connection in IDLE on one mailbox (EXAMINE, so nothing is marked read)
 * and turns imapflow's `exists` / `expunge` / `flags` events into MailboxEvents. IDLE is broken by
 * the keep-alive NOOP every `keepAliveMs` and re-issued when the connection is free; imapflow's
 * `maxIdleTime` (set at connect) re-issues it too if a keep-alive is ever skipped. A keep-alive that
 * fails closes the client; the supervisor sees `close` and reconnects.
 */
export class IdleWatcher {
  private stopped = false;
  private keepAliveTimer: unknown;
  private readonly detach: Array<() => void> = [];

  constructor(private readonly client: ImapFlow, private readonly options: IdleWatcherOptions) {}

  /** Opens the mailbox and starts idling; rejects if the mailbox cannot be opened. */
  async start(): Promise<void> {
    const { client, options } = this;
    this.listen('exists', (e: { path: string; count: number }) => options.onEvent({ kind: 'exists', path: e.path, count: e.count }));
    this.listen('expunge', (e: { path: string; seq?: number; uid?: number }) =>
      options.onEvent({ kind: 'expunge', path: e.path, ...(e.uid ? { uid: e.uid } : {}), ...(e.seq ? { seq: e.seq } : {}) }),
    );
    this.listen('flags', (e: { path: string; seq?: number; uid?: number; flags?: Set<string>; modseq?: bigint }) =>
      options.onEvent({
        kind: 'flags',
        path: e.path,
        flags: [...(e.flags ?? [])],
        ...(e.uid ? { uid: e.uid } : {}),
        ...(e.seq ? { seq: e.seq } : {}),
        ...(e.modseq !== undefined ? { modseq: e.modseq.toString() } : {}),
      }),
    );
    const mailbox = await client.mailboxOpen(options.path, { readOnly: true });
    options.log.info(`IDLE on ${options.path} (${mailbox.exists} messages)`);
    // From here on changes are pushed; one made since the caller's last sync is not (see WatchSnapshot).
    options.onEvent({ kind: 'watching', path: options.path, via: 'idle', snapshot: examineSnapshot(mailbox) });
    this.scheduleKeepAlive();
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.options.clock.clearTimeout(this.keepAliveTimer);
    for (const off of this.detach.splice(0)) off();
  }

  /** NOOP now (wake-up check); resolves false and closes the client when the peer does not answer. */
  async probe(): Promise<boolean> {
    if (this.stopped || !this.client.usable) return false;
    let timer: unknown;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = this.options.clock.setTimeout(() => resolve('timeout'), this.options.probeTimeoutMs)));
    try {
      const outcome = await Promise.race([this.client.noop().then(() => 'ok' as const), timedOut]);
      if (outcome === 'ok') return true;
      this.options.log.warn(`IDLE connection did not answer NOOP within ${this.options.probeTimeoutMs} ms; reconnecting`);
    } catch (err) {
      this.options.log.warn(`IDLE keep-alive failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.options.clock.clearTimeout(timer);
    }
    this.client.close();
    return false;
  }

  private listen<E>(event: string, handler: (e: E) => void): void {
    const wrapped = (e: E): void => {
      if (!this.stopped) handler(e);
    };
    this.client.on(event, wrapped);
    this.detach.push(() => this.client.off(event, wrapped));
  }

  private scheduleKeepAlive(): void {
    this.keepAliveTimer = this.options.clock.setTimeout(() => {
      void this.probe().then((alive) => {
        if (alive && !this.stopped) this.scheduleKeepAlive();
      });
    }, this.options.keepAliveMs);
  }

  private async loop(): Promise<void> {
    let fastReturns = 0;
    while (!this.stopped && this.client.usable) {
      const started = Date.now();
      try {
        // whenFree: a keep-alive NOOP that broke the previous IDLE runs first.
        await this.client.idle({ whenFree: true });
      } catch (err) {
        if (!this.stopped) this.options.log.debug(`IDLE ended: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      fastReturns = Date.now() - started < FAST_RETURN_MS && !this.client.idling ? fastReturns + 1 : 0;
      if (fastReturns >= FAST_RETURN_LIMIT && !this.stopped) {
        this.options.log.warn(`IDLE on ${this.options.path} keeps ending at once; reconnecting`);
        this.client.close();
        return;
      }
    }
  }
}

type MailboxObject = Awaited<ReturnType<ImapFlow['mailboxOpen']>>;

function examineSnapshot(mailbox: MailboxObject): WatchSnapshot {
  return {
    messages: mailbox.exists,
    ...(mailbox.uidValidity !== undefined ? { uidValidity: mailbox.uidValidity.toString() } : {}),
    ...(mailbox.uidNext ? { uidNext: mailbox.uidNext } : {}),
    ...(mailbox.highestModseq !== undefined && !mailbox.noModseq ? { highestModseq: mailbox.highestModseq.toString() } : {}),
  };
}

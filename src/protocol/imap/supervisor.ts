/**
 * One account's IMAP connections, kept alive: a command connection that runs work one job at a
 * time, and (when enabled and a slot is free) a second connection idling on INBOX for push. Both
 * reconnect with backoff after drops and server restarts; a timer-drift wake detector probes them
 * after the machine slept. When events may have been missed, `resync-needed` is fired. Each time
 * INBOX starts being watched (IDLE's EXAMINE, or the first poll when there is no slot for IDLE),
 * `watching` carries what the server reported then, for the caller to compare with its cache.
 */
import type { ImapFlow } from 'imapflow';
import { AccountConfig, accountLabel } from '../account';
import { toMailError } from '../connectionErrors';
import type { CredentialSource } from '../credentials';
import { MailError } from '../errors';
import { ProtocolLog, taggedLog } from '../log';
import type { ConnectionLeases, Lease } from '../../store/connectionLeases';
import { Emitter, Event } from '../../util/event';
import { connectImap } from './connect';
import { failureCause } from './connectionFailure';
import type { ImapLimits } from './limits';
import { Backoff, DEFAULT_BACKOFF } from './supervisor/backoff';
import { Clock, systemClock } from './supervisor/clock';
import type { ConnectionState, MailboxEvent, ResyncReason } from './supervisor/events';
import { IdleWatcher } from './supervisor/idleConnection';
import { Link, LinkRole, OpenedConnection } from './supervisor/link';
import { pollChanged, pollMailbox, PollSnapshot } from './supervisor/poll';
import { WakeDetector } from './supervisor/wakeDetector';

export type { ConnectionState, MailboxEvent, ResyncReason } from './supervisor/events';

export interface SupervisorOptions {
  account: AccountConfig;
  /** What each connection logs in with: a password, or OAuth2 tokens (one refresh + retry on refusal). */
  credentials: CredentialSource;
  log: ProtocolLog;
  timeoutMs: number;
  clientVersion?: string;
  /** Setting mailroom.maxConnectionsPerAccount (default 2). IDLE needs 2: one stays for commands. */
  maxConnections: number;
  /** Cross-window limit; without it the limit holds for this supervisor only. */
  leases?: ConnectionLeases;
  /** INBOX push. */
  idle?: {
    path: string;
    enabled: boolean;
    /** NOOP while idling this often; default 5 min (NAT tables forget quiet TCP flows). */
    keepAliveMs?: number;
    /** Polling fallback interval (STATUS on the command connection); default 60 s. */
    pollIntervalMs?: number;
    /** How often a polling supervisor tries to get a slot for IDLE again; default 60 s. */
    idleRetryMs?: number;
  };
  backoff?: { initialMs: number; maxMs: number; factor?: number };
  clock?: Clock;
  /** Jitter source for the backoff, uniform in [0, 1). */
  random?: () => number;
  /** Sleep/wake detection by timer drift; false turns it off. */
  wake?: { intervalMs?: number; toleranceMs?: number } | false;
  /** How long run() waits for another window to free a connection slot; default timeoutMs. */
  leaseWaitMs?: number;
  /** NOOP on an unused command connection this often, before imapflow's 5-minute silence timeout; default 4 min. */
  commandKeepAliveMs?: number;
  /** Size and rate bounds of every connection; DEFAULT_IMAP_LIMITS for whatever is not given. */
  limits?: Partial<ImapLimits>;
}

export interface RunOptions {
  /**
   * Run the work a second time on a new connection when the connection was lost during it;
   * default true. Pass false for work that must not be repeated (APPEND).
   */
  retry?: boolean;
}

/** IMAP servers may end an IDLE after 30 minutes (RFC 2177); imapflow re-issues it before that. */
const MAX_IDLE_TIME_MS = 25 * 60 * 1000;
/** Resync requests closer together than this are one request (both connections came back). */
const RESYNC_COALESCE_MS = 500;
/** A command connection another window asks for is given up only after this long unused. */
const COMMAND_YIELD_AFTER_MS = 30_000;
/** Wake probes must not wait for the full connection timeout. */
const PROBE_TIMEOUT_CAP_MS = 10_000;

export class ImapSupervisor {
  private readonly stateEmitter = new Emitter<ConnectionState>();
  private readonly eventEmitter = new Emitter<MailboxEvent>();
  readonly onDidChangeState: Event<ConnectionState> = this.stateEmitter.event;
  readonly onMailboxEvent: Event<MailboxEvent> = this.eventEmitter.event;

  private readonly clock: Clock;
  private readonly log: ProtocolLog;
  private readonly command: Link;
  private readonly idleLink: Link | undefined;
  private watcher: IdleWatcher | undefined;
  private wake: WakeDetector | undefined;
  private currentState: ConnectionState = 'disconnected';
  private tail: Promise<unknown> = Promise.resolve();
  private busy = 0;
  private lastUsed = 0;
  private closed = false;
  private caps: ReadonlySet<string> = new Set();
  private enabledExt: ReadonlySet<string> = new Set();
  private mode: 'off' | 'idle' | 'polling' = 'off';
  private pollTimer: unknown;
  private idleRetryTimer: unknown;
  private lastPoll: PollSnapshot | undefined;
  private commandKeepAlive: unknown;
  private pendingResync: { reason: ResyncReason; timer: unknown } | undefined;

  constructor(private readonly options: SupervisorOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log;
    const backoff = (): Backoff => new Backoff({ ...DEFAULT_BACKOFF, ...options.backoff, ...(options.random ? { random: options.random } : {}) });
    this.command = new Link({
      role: 'command',
      log: this.log,
      clock: this.clock,
      backoff: backoff(),
      open: () => this.open('command'),
      onUp: (client, afterLoss) => this.commandUp(client, afterLoss),
      onDown: () => this.clock.clearTimeout(this.commandKeepAlive),
      onChange: () => this.updateState(),
    });
    if (options.idle?.enabled) {
      const idleLog = taggedLog(this.log, 'idle');
      this.idleLink = new Link({
        role: 'idle',
        log: idleLog,
        clock: this.clock,
        backoff: backoff(),
        open: () => this.open('idle'),
        // What IDLE missed while it was away (or before it first started) the watcher's
        // `watching` event shows; the command connection asks for its own resync.
        ready: (client) => this.startWatcher(client, idleLog),
        onUp: () => undefined,
        onDown: () => {
          this.watcher?.stop();
          this.watcher = undefined;
        },
        onChange: () => this.updateState(),
      });
    }
    if (options.wake !== false) {
      this.wake = new WakeDetector({ clock: this.clock, ...options.wake, onWake: (ms) => void this.onWake(ms) });
    }
  }

  get account(): AccountConfig {
    return this.options.account;
  }

  state(): ConnectionState {
    return this.currentState;
  }

  /** Capabilities of the last connection (empty before the first). */
  capabilities(): ReadonlySet<string> {
    return this.caps;
  }

  /** Extensions ENABLEd on the command connection (CONDSTORE, QRESYNC, UTF8=ACCEPT). */
  enabled(): ReadonlySet<string> {
    return this.enabledExt;
  }

  /** Whether INBOX changes arrive by IDLE push, by polling, or not at all (yet). */
  pushMode(): 'off' | 'idle' | 'polling' {
    return this.mode;
  }

  /** Connects now (command connection, and IDLE when enabled) instead of on first use. */
  start(): void {
    if (this.closed) return;
    this.command.wanted = true;
    this.command.connect().catch(() => undefined);
  }

  /** Serialized work on the command connection; see RunOptions for the one retry after a drop. */
  run<T>(label: string, work: (client: ImapFlow) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const result = this.tail.then(() => this.execute(label, work, options));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Try to reconnect now (e.g. user pressed Refresh, the window got focus, the OS woke up). */
  kick(): void {
    if (this.closed) return;
    this.command.kick();
    this.idleLink?.kick();
    if (this.mode === 'polling') this.tryIdleAgain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.dispose();
    for (const timer of [this.pollTimer, this.idleRetryTimer, this.commandKeepAlive, this.pendingResync?.timer]) this.clock.clearTimeout(timer);
    this.watcher?.stop();
    await Promise.all([this.command.close(), this.idleLink?.close()]);
    this.mode = 'off';
    this.updateState();
    this.stateEmitter.dispose();
    this.eventEmitter.dispose();
  }

  private async execute<T>(label: string, work: (client: ImapFlow) => Promise<T>, options: RunOptions): Promise<T> {
    this.busy++;
    try {
      this.command.wanted = true;
      let client = await this.commandClient();
      try {
        return await work(client);
      } catch (err) {
        const mapped = toMailError(failureCause(client, err), this.options.account);
        // Whatever the error, a connection that died under the work is replaced (garbage from the
        // server, a drop, a timeout); errors on a live connection are the work's own.
        if (client.usable || this.closed) throw mapped;
        await this.command.discard(client);
        if (options.retry === false || !worthRepeating(mapped)) throw mapped;
        this.log.warn(`${label}: connection lost (${mapped.detail ?? mapped.code}); running it again on a new connection`);
        client = await this.commandClient();
        try {
          return await work(client);
        } catch (retryErr) {
          throw toMailError(failureCause(client, retryErr), this.options.account);
        }
      }
    } finally {
      this.busy--;
      this.lastUsed = this.clock.now();
      this.scheduleCommandKeepAlive();
    }
  }

  private async commandClient(): Promise<ImapFlow> {
    if (this.closed) throw new MailError('ConnectionClosed', `The session for ${accountLabel(this.account)} was closed.`);
    const link = this.command;
    if (link.client?.usable) return link.client;
    if (link.inOutage && link.retryScheduled) throw this.offlineError(link.lastError);
    const pending = link.pending();
    if (pending) {
      // Someone else's attempt (a background reconnect): its failure means we are offline.
      return pending.catch((err: unknown) => {
        throw MailError.is(err) && !link.inOutage ? err : this.offlineError(MailError.is(err) ? err : undefined);
      });
    }
    return link.connect();
  }

  private offlineError(cause: MailError | undefined): MailError {
    return new MailError('Offline', `${accountLabel(this.account)} is offline: ${cause?.message ?? 'the server cannot be reached.'} Mailroom keeps trying.`, {
      detail: cause?.detail ?? cause?.code,
      cause,
    });
  }

  /** Takes a slot (cross-window lease, else a local count) and connects. */
  private async open(role: LinkRole): Promise<OpenedConnection> {
    const max = Math.max(1, Math.floor(this.options.maxConnections));
    let lease: Lease | undefined;
    if (this.options.leases) {
      lease = await this.options.leases.acquire(this.account.id, {
        max,
        purpose: role,
        waitMs: role === 'command' ? (this.options.leaseWaitMs ?? this.options.timeoutMs) : 0,
      });
      if (!lease) {
        throw new MailError('Offline', `All ${max} connections allowed for ${accountLabel(this.account)} are in use by other VS Code windows.`, { detail: 'NoConnectionSlot' });
      }
      lease.onLost(() => this.onLeaseLost(role));
      lease.onWanted(() => this.onLeaseWanted(role));
    }
    try {
      // Each login goes through the credentials: a refused token is refreshed once and tried once more.
      const client = await this.options.credentials.login((secret) =>
        connectImap({
          account: this.account,
          password: secret.kind === 'password' ? secret.password : '',
          ...(secret.kind === 'token' ? { accessToken: secret.accessToken } : {}),
          log: role === 'idle' ? taggedLog(this.log, 'idle') : this.log,
          timeoutMs: this.options.timeoutMs,
          ...(this.options.clientVersion ? { clientVersion: this.options.clientVersion } : {}),
          ...(role === 'idle' ? { maxIdleTimeMs: MAX_IDLE_TIME_MS } : {}),
          ...(this.options.limits ? { limits: this.options.limits } : {}),
        }),
      );
      return { client, release: async () => lease?.release() };
    } catch (err) {
      await lease?.release();
      throw err;
    }
  }

  private commandUp(client: ImapFlow, afterLoss: boolean): void {
    this.caps = new Set(client.capabilities.keys());
    this.enabledExt = new Set(client.enabled);
    this.lastUsed = this.clock.now();
    this.scheduleCommandKeepAlive();
    if (afterLoss) this.requestResync('reconnected');
    this.startPush();
  }

  /** After the command connection is up: IDLE if a second slot is free, else poll. */
  private startPush(): void {
    if (!this.idleLink || this.closed || this.mode !== 'off') return;
    if (this.options.maxConnections < 2) {
      this.startPolling(`maxConnectionsPerAccount is ${this.options.maxConnections}`);
      return;
    }
    this.mode = 'idle';
    this.idleLink.wanted = true;
    this.idleLink.connect().catch((err: unknown) => {
      if (MailError.is(err) && err.detail === 'NoConnectionSlot') {
        this.idleLink!.wanted = false;
        this.startPolling(`all ${this.options.maxConnections} connections of the account are in use by other windows`);
      }
    });
  }

  private async startWatcher(client: ImapFlow, log: ProtocolLog): Promise<void> {
    const idle = this.options.idle!;
    this.watcher?.stop();
    const watcher = new IdleWatcher(client, {
      path: idle.path,
      log,
      clock: this.clock,
      keepAliveMs: idle.keepAliveMs ?? 5 * 60 * 1000,
      probeTimeoutMs: this.probeTimeoutMs(),
      onEvent: (e) => this.eventEmitter.fire(e),
    });
    this.watcher = watcher;
    await watcher.start();
  }

  private startPolling(why: string): void {
    if (this.closed) return;
    const idle = this.options.idle!;
    const interval = idle.pollIntervalMs ?? 60_000;
    this.mode = 'polling';
    this.lastPoll = undefined;
    this.log.warn(`no connection slot for IDLE (${why}); polling ${idle.path} every ${Math.round(interval / 1000)} s on the command connection`);
    const tick = (): void => {
      this.pollTimer = this.clock.setTimeout(() => {
        if (this.mode !== 'polling' || this.closed) return;
        void this.pollOnce().finally(() => this.mode === 'polling' && tick());
      }, interval);
    };
    void this.pollOnce().finally(tick);
    this.scheduleIdleRetry();
  }

  private async pollOnce(): Promise<void> {
    const path = this.options.idle!.path;
    try {
      const snapshot = await this.run(`poll ${path}`, (client) => pollMailbox(client, path));
      if (this.lastPoll === undefined) {
        // The first poll of a polling period is the baseline for the next ones; what changed
        // before it (since the last sync, or while IDLE gave up its slot) only the cache can tell.
        const { unseen: _unseen, ...watched } = snapshot;
        this.eventEmitter.fire({ kind: 'watching', path, via: 'poll', snapshot: watched });
      } else if (pollChanged(this.lastPoll, snapshot)) {
        const { uidValidity: _uidValidity, ...status } = snapshot;
        this.eventEmitter.fire({ kind: 'status', path, ...status });
      }
      this.lastPoll = snapshot;
    } catch (err) {
      this.log.debug(`poll of ${path} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private scheduleIdleRetry(): void {
    this.clock.clearTimeout(this.idleRetryTimer);
    this.idleRetryTimer = this.clock.setTimeout(() => this.tryIdleAgain(), this.options.idle?.idleRetryMs ?? 60_000);
  }

  private tryIdleAgain(): void {
    if (this.closed || this.mode !== 'polling' || this.options.maxConnections < 2 || !this.idleLink) return;
    this.clock.clearTimeout(this.pollTimer);
    this.clock.clearTimeout(this.idleRetryTimer);
    this.mode = 'off';
    this.log.info('trying to get a connection slot for IDLE again');
    // Changes between the last poll and IDLE's EXAMINE show in the watcher's `watching` event.
    this.startPush();
  }

  /** Another window reclaimed our slot: that connection must go now. */
  private onLeaseLost(role: LinkRole): void {
    const link = role === 'command' ? this.command : this.idleLink;
    this.log.warn(`${role} connection slot was taken over by another window; reconnecting`);
    if (link?.client) void link.discard(link.client);
  }

  /** Another window waits for a slot: give up IDLE (poll instead), or an unused command connection. */
  private onLeaseWanted(role: LinkRole): void {
    if (this.closed) return;
    if (role === 'idle' && this.idleLink && this.mode === 'idle') {
      this.log.info('another window needs a connection; giving up IDLE and polling instead');
      this.idleLink.wanted = false;
      this.watcher?.stop();
      void this.idleLink.disconnect().then(() => this.startPolling('another window needed the connection'));
    } else if (role === 'command' && this.busy === 0 && this.clock.now() - this.lastUsed > COMMAND_YIELD_AFTER_MS) {
      this.log.info('another window needs a connection; closing the unused command connection');
      this.command.wanted = false;
      void this.command.disconnect();
    }
  }

  private scheduleCommandKeepAlive(): void {
    this.clock.clearTimeout(this.commandKeepAlive);
    if (this.closed || !this.command.connected) return;
    const every = this.options.commandKeepAliveMs ?? 4 * 60 * 1000;
    this.commandKeepAlive = this.clock.setTimeout(() => {
      if (this.busy > 0 || !this.command.connected) return;
      this.run('keep-alive', (client) => client.noop(), { retry: false }).catch(() => undefined);
    }, every);
  }

  private async onWake(sleptMs: number): Promise<void> {
    if (this.closed) return;
    this.log.info(`the computer was asleep or the process frozen for about ${Math.round(sleptMs / 1000)} s; checking connections`);
    const probes: Array<Promise<boolean>> = [];
    const command = this.command.client;
    if (command?.usable) probes.push(this.probeCommand(command));
    if (this.watcher) probes.push(this.watcher.probe());
    const results = await Promise.all(probes);
    this.kick();
    // A dead connection reconnects and asks for its own resync; live ones may still have missed events.
    if (results.every(Boolean)) this.requestResync('wake');
  }

  private async probeCommand(client: ImapFlow): Promise<boolean> {
    let timer: unknown;
    const timeout = new Promise<false>((resolve) => (timer = this.clock.setTimeout(() => resolve(false), this.probeTimeoutMs())));
    const ok = await Promise.race([client.noop().then(() => true, () => false), timeout]);
    this.clock.clearTimeout(timer);
    if (!ok) await this.command.discard(client);
    return ok;
  }

  private probeTimeoutMs(): number {
    return Math.min(this.options.timeoutMs, PROBE_TIMEOUT_CAP_MS);
  }

  private requestResync(reason: ResyncReason): void {
    if (this.closed || this.pendingResync) return;
    const timer = this.clock.setTimeout(() => {
      const pending = this.pendingResync;
      this.pendingResync = undefined;
      if (pending && !this.closed) {
        this.log.info(`resync needed (${pending.reason})`);
        this.eventEmitter.fire({ kind: 'resync-needed', reason: pending.reason });
      }
    }, RESYNC_COALESCE_MS);
    this.pendingResync = { reason, timer };
  }

  private updateState(): void {
    const next = this.computeState();
    if (next === this.currentState) return;
    this.currentState = next;
    this.log.info(`state: ${next}`);
    this.stateEmitter.fire(next);
  }

  private computeState(): ConnectionState {
    if (this.closed) return 'closed';
    const links = [this.command, this.idleLink].filter((l): l is Link => l !== undefined);
    if (links.some((l) => l.connected)) return 'online';
    if (links.some((l) => l.inOutage)) return 'offline';
    if (links.some((l) => l.isConnecting || l.retryScheduled)) return 'connecting';
    return 'disconnected';
  }
}

/**
 * A drop is worth one more try; a response over a limit or a server too slow for a deadline
 * would only fail the same way again, after as long a wait (the user can retry).
 */
function worthRepeating(error: MailError): boolean {
  return error.code !== 'LimitExceeded' && error.code !== 'Timeout';
}

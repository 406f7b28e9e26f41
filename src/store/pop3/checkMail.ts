/**
 * The POP3 check engine: takes the maildrop lock, asks the server what it has, downloads what the
 * cache lacks into the Maildir (durably), DELEs what the policy says may go, and QUITs.
 *
 * Order matters for "never lose, never duplicate":
 * 1. a message is DELEd only after its copy is durable (fsync + rename + directory fsync);
 * 2. DELEs are committed by QUIT alone: a session cut earlier rolls back on the server;
 * 3. the next check skips every UIDL already cached, so a rolled-back message is not fetched again
 *    (without UIDL the key is the SHA-256 of the bytes, so a re-download is not stored twice).
 */
import { createHash } from 'node:crypto';
import { AccountConfig, accountLabel } from '../../protocol/account';
import type { CredentialSource } from '../../protocol/credentials';
import { MailError } from '../../protocol/errors';
import { ProtocolLog } from '../../protocol/log';
import { connectPop3, Pop3AuthMethod, Pop3Session } from '../../protocol/pop3';
import { Pop3Cache } from './cache';
import { DELIVERY_CONCURRENCY, DELIVERY_MAX_BYTES, INDEX_SAVE_EVERY } from './limits';
import { acquireMaildropLock, lockOptionsFor } from './lock';
import { PendingWrites } from './pendingWrites';
import { CheckPlan, PlannedDownload, planCheck, ServerMessage, validatePolicy } from './policy';
import { CheckReport, Pop3Policy } from './types';

export interface Pop3ConnectionOptions {
  account: AccountConfig;
  /** Password, or the OAuth token for xoauth2; unused when `credentials` is given. */
  password?: string;
  /** What the login uses (a password, or OAuth2 tokens with one refresh and retry on refusal). */
  credentials?: CredentialSource;
  log: ProtocolLog;
  timeoutMs: number;
  /** Global storage folder holding the maildrop locks shared by all VS Code windows. */
  lockDir: string;
  auth?: Pop3AuthMethod;
  /** How long to wait for another window's check to finish (default LOCK_WAIT_MS). */
  lockWaitMs?: number;
}

export interface CheckMailOptions extends Pop3ConnectionOptions {
  cache: Pop3Cache;
  policy: Pop3Policy;
  /** Injectable clock (age of cached messages, download time). */
  now?: () => Date;
  onProgress?(done: number, total: number): void;
  /** Aborting closes the session without QUIT: nothing is deleted on the server. */
  signal?: AbortSignal;
}

export async function checkMail(options: CheckMailOptions): Promise<CheckReport> {
  validatePolicy(options.policy);
  const report: CheckReport = { onServer: 0, downloaded: 0, bytes: 0, deletedFromServer: 0, skippedAlreadyCached: 0, headersOnly: 0, warnings: [] };
  const timer = phaseTimer(options.log);
  const lock = await acquireMaildropLock(lockOptionsFor(options.account, options.lockDir, options.lockWaitMs));
  try {
    // Another window may have downloaded since this cache was read: look before asking the server.
    report.warnings.push(...(await options.cache.reload()));
    timer('lock and cache');
    options.signal?.throwIfAborted();
    const session = await connectWith(options);
    timer('connect');
    try {
      await new CheckRun(session, options, report, timer).run();
    } catch (e) {
      session.close(); // no QUIT: the server rolls back this session's DELEs
      await options.cache.maildir.syncCur();
      // Keep what was stored; if even that fails, the check's own error says more (and the
      // Maildir names still hold everything the index would).
      await options.cache.flush({ durable: false }).catch((flushError: unknown) => options.log.warn(`could not save the POP3 index after a failed check: ${String(flushError)}`));
      throw e;
    }
    await options.cache.flush({ durable: false });
    timer('index saved');
  } finally {
    await lock.release();
  }
  options.log.info(
    `check done: ${report.downloaded} downloaded (${report.bytes} bytes, ${report.headersOnly} headers only), ` +
      `${report.skippedAlreadyCached} already cached, ${report.deletedFromServer} deleted from the server`,
  );
  return report;
}

/**
 * Downloads the rest of a headers-only message (RETR; TOP gave only its header) and replaces the
 * partial copy. Returns the whole message; for a message already whole, its cached bytes.
 */
export async function fetchFullBody(options: Pop3ConnectionOptions & { cache: Pop3Cache; uidl: string; now?: () => Date }): Promise<Buffer> {
  const { cache, uidl } = options;
  const entry = cache.get(uidl);
  if (!entry) throw new MailError('MessageNotFound', 'This message is no longer in the local POP3 cache.', { detail: uidl });
  if (!entry.partial) return cache.readSource(uidl);
  const lock = await acquireMaildropLock(lockOptionsFor(options.account, options.lockDir, options.lockWaitMs));
  try {
    if (!cache.get(uidl)?.partial) return await cache.readSource(uidl); // fetched while we waited
    const session = await connectWith(options);
    let done = false;
    try {
      const msg = (await session.uidl()).find((u) => u.uid === uidl)?.msg;
      if (msg === undefined) {
        throw new MailError('MessageNotFound', `The rest of this message cannot be downloaded: it is no longer on the server of ${accountLabel(options.account)}.`, { detail: uidl });
      }
      const bytes = await session.retr(msg);
      await cache.replaceWithFull(uidl, bytes, (options.now ?? (() => new Date()))());
      done = true;
      await session.quit().catch((e: unknown) => options.log.debug(`QUIT after fetching a body failed: ${String(e)}`));
      return bytes;
    } finally {
      if (!done) session.close();
    }
  } finally {
    await lock.release();
  }
}

/** Logs (debug) the time each phase of a check took. */
function phaseTimer(log: ProtocolLog): (phase: string) => void {
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    log.debug(`check: ${phase} in ${(now - last).toFixed(1)} ms`);
    last = now;
  };
}

/** Connects and logs in, through the credentials when given (a token: SASL OAUTHBEARER or XOAUTH2). */
function connectWith(options: Pop3ConnectionOptions): Promise<Pop3Session> {
  const base = { account: options.account, log: options.log, timeoutMs: options.timeoutMs };
  if (!options.credentials) return connectPop3({ ...base, password: options.password ?? '', ...(options.auth ? { auth: options.auth } : {}) });
  return options.credentials.login((secret) =>
    secret.kind === 'token'
      ? connectPop3({ ...base, password: secret.accessToken, auth: 'oauth2' })
      : connectPop3({ ...base, password: secret.password, ...(options.auth ? { auth: options.auth } : {}) }),
  );
}

/** One check over one authenticated session. */
class CheckRun {
  private readonly now: () => Date;
  private readonly toDelete: Array<{ msg: number; uidl: string }> = [];
  private done = 0;
  private total = 0;

  constructor(
    private readonly session: Pop3Session,
    private readonly options: CheckMailOptions,
    private readonly report: CheckReport,
    private readonly timer: (phase: string) => void = () => undefined,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async run(): Promise<void> {
    const { cache, policy, account } = this.options;
    const messages = await this.listing();
    this.report.onServer = messages.length;
    this.timer(`listing of ${messages.length}`);
    const hasUidl = this.uidlWorked;
    const plan: CheckPlan = planCheck({
      messages,
      hasUidl,
      policy,
      now: this.now(),
      cached: (uidl) => cache.peek(uidl),
      removed: (uidl) => cache.getRemoved(uidl),
      label: accountLabel(account),
    });
    // Cached messages the server no longer lists were deleted there (by us earlier, or by another client).
    if (hasUidl) cache.noteServerListing(plan.onServer);
    this.report.skippedAlreadyCached = plan.skippedAlreadyCached;
    this.toDelete.push(...plan.deleteNow);
    this.total = plan.download.length;
    if (this.total) this.options.onProgress?.(0, this.total);
    this.timer('plan');

    await this.downloadWhole(plan.download.filter((d) => !d.headersOnly));
    await this.downloadHeaders(plan.download.filter((d) => d.headersOnly));
    this.timer(`download of ${this.report.downloaded}`);
    this.options.signal?.throwIfAborted();
    await this.deleteAndQuit();
    this.timer(`delete ${this.toDelete.length} and quit`);
  }

  private uidlWorked = false;

  /** UIDL (and LIST only when sizes matter: headers-only, or no UIDL). */
  private async listing(): Promise<ServerMessage[]> {
    const { session, options } = this;
    let uidls: Array<{ msg: number; uid: string }> | undefined;
    if (session.capabilities.uidl !== false) {
      try {
        uidls = await session.uidl();
        this.uidlWorked = true;
      } catch (e) {
        if (!MailError.is(e, 'Unsupported')) throw e;
      }
    }
    if (uidls && options.policy.headersOnlyAboveBytes === undefined) {
      return uidls.map((u) => ({ msg: u.msg, size: 0, uidl: u.uid }));
    }
    const sizes = await session.list();
    const byMsg = new Map(uidls?.map((u) => [u.msg, u.uid]));
    return sizes.map((s) => ({ msg: s.msg, size: s.size, ...(uidls ? { uidl: byMsg.get(s.msg) } : {}) }));
  }

  /**
   * RETR (pipelined by the session when the server allows it) while up to DELIVERY_CONCURRENCY
   * messages are being written and fsynced; a failed write stops the download.
   */
  private async downloadWhole(downloads: PlannedDownload[]): Promise<void> {
    if (!downloads.length) return;
    const byMsg = new Map(downloads.map((d) => [d.msg, d]));
    const writes = new PendingWrites();
    try {
      await this.session.retrMany([...byMsg.keys()], async (msg, bytes) => {
        writes.throwIfFailed();
        this.options.signal?.throwIfAborted();
        const planned = byMsg.get(msg);
        if (!planned) throw new MailError('ProtocolError', `The server sent message ${msg}, which was not asked for.`);
        this.report.bytes += bytes.length;
        writes.add(this.keep(planned, bytes), bytes.length);
        await writes.room(DELIVERY_CONCURRENCY, DELIVERY_MAX_BYTES);
        writes.throwIfFailed();
      });
    } finally {
      await writes.drain(); // every complete message received is kept, whatever happened
    }
    writes.throwIfFailed();
  }

  /** TOP n 0 for large messages (RETR when the server has no TOP): the body comes when opened. */
  private async downloadHeaders(downloads: PlannedDownload[]): Promise<void> {
    let topWorks = this.session.capabilities.top !== false;
    for (const planned of downloads) {
      this.options.signal?.throwIfAborted();
      let bytes: Buffer | undefined;
      if (topWorks) {
        try {
          bytes = await this.session.top(planned.msg, 0);
        } catch (e) {
          if (MailError.is(e, 'Unsupported')) {
            topWorks = false;
            this.options.log.info('the server has no TOP: downloading large messages whole');
          } else if (MailError.is(e, 'CommandFailed')) {
            this.options.log.info(`TOP ${planned.msg} failed (${e.detail ?? e.message}): downloading it whole`);
          } else throw e;
        }
      }
      const partial = bytes !== undefined;
      bytes ??= await this.session.retr(planned.msg);
      this.report.bytes += bytes.length;
      await this.keep({ ...planned, headersOnly: partial, deleteWhenStored: partial ? false : planned.deleteWhenStored }, bytes);
    }
  }

  /** Stores one message durably, then queues its DELE if the plan says so. */
  private async keep(planned: PlannedDownload, bytes: Buffer): Promise<void> {
    const { cache } = this.options;
    const uidl = planned.uidl ?? `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (cache.has(uidl)) {
      // Only without UIDL: the same bytes again after a session that was cut before QUIT.
      this.report.skippedAlreadyCached++;
    } else {
      // cur/ is fsynced once for the whole batch, in deleteAndQuit, before any DELE
      await cache.store(uidl, bytes, { now: this.now(), syncDirectory: false, ...(planned.headersOnly ? { partialOfSize: planned.size } : {}) });
      this.report.downloaded++;
      if (planned.headersOnly) this.report.headersOnly++;
      if (this.report.downloaded % INDEX_SAVE_EVERY === 0) await cache.flush({ durable: false });
    }
    if (planned.deleteWhenStored) this.toDelete.push({ msg: planned.msg, uidl });
    this.options.onProgress?.(++this.done, this.total);
  }

  /**
   * Makes every copy durable (one fsync of cur/), DELEs what may go, then QUITs; only QUIT's +OK
   * commits the DELEs. The DELEs are all issued at once: the session pipelines them when the
   * server offers PIPELINING (one round trip for the lot instead of one per message) and sends
   * them one after another otherwise.
   */
  private async deleteAndQuit(): Promise<void> {
    await this.options.cache.maildir.syncCur();
    const deleted: string[] = [];
    const toDelete = this.toDelete.sort((a, b) => a.msg - b.msg);
    const results = await Promise.allSettled(toDelete.map(({ msg }) => this.session.dele(msg)));
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !MailError.is(r.reason, 'CommandFailed'));
    if (lost) throw lost.reason;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') deleted.push(toDelete[i].uidl);
      else {
        const e = r.reason as MailError;
        this.report.warnings.push(`The server refused to delete message ${toDelete[i].msg}: ${e.detail ?? e.message}`);
      }
    });
    try {
      await this.session.quit();
    } catch (e) {
      this.session.close();
      if (!deleted.length) return;
      this.report.warnings.push(
        `The server did not confirm the end of the session, so it kept the ${deleted.length} message(s) Mailroom asked it to delete; the next check tries again. (${e instanceof Error ? e.message : String(e)})`,
      );
      return;
    }
    this.options.cache.markDeletedFromServer(deleted);
    this.report.deletedFromServer = deleted.length;
  }
}

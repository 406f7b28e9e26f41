import * as path from 'node:path';
import * as vscode from 'vscode';
import { AccountConfig, accountLabel } from '../protocol/account';
import { MailError } from '../protocol/errors';
import { ProtocolLog, taggedLog } from '../protocol/log';
import type { Pop3Cache } from '../store/pop3';
import type { CheckReport, LocalFlags, Pop3Policy } from '../store/pop3';
import { Emitter } from '../util/event';
import type { AccountRepository } from './accounts';
import { mailroomSettings } from './settings';
import type { Pop3CheckStatus } from './tree/pop3Placeholder';
import { loadEngine } from '../loadEngine';

export interface Pop3AccountRegistryOptions {
  repository: AccountRepository;
  log: ProtocolLog;
  /** `globalStorageUri.fsPath`: the Maildirs and the maildrop locks live below it. */
  storageDir: string;
}

export interface Pop3CheckResult {
  accountId: string;
  report?: CheckReport;
  error?: MailError;
}

/** Whether a check runs now, and how the last one in this window ended. */
export interface Pop3CheckState extends Pop3CheckStatus {
  last?: { at: Date; report?: CheckReport; error?: MailError };
}

/** The policy an account's settings ask for. */
export function policyOf(account: AccountConfig): Pop3Policy {
  const policy: Pop3Policy = { leaveOnServer: account.leaveOnServer !== false };
  if (account.deleteFromServerAfterDays !== undefined) policy.deleteFromServerAfterDays = account.deleteFromServerAfterDays;
  if (account.headersOnlyAboveKilobytes !== undefined) policy.headersOnlyAboveBytes = account.headersOnlyAboveKilobytes * 1024;
  return policy;
}

/**
 * POP3 accounts' local caches and checks. A check downloads into the account's Maildir in global
 * storage (shared by all windows, guarded by a maildrop lock) and applies the account's
 * leave-on-server policy; read state lives only here, as POP3 has none on the server.
 */
export class Pop3AccountRegistry implements vscode.Disposable {
  private readonly caches = new Map<string, Promise<Pop3Cache>>();
  private readonly checks = new Map<string, Promise<Pop3CheckResult>>();
  private readonly lastChecks = new Map<string, NonNullable<Pop3CheckState['last']>>();
  private readonly _onDidChange = new Emitter<string>();
  /** Fires with the account id when its cache changed (check, flags, removal). */
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidCheck = new Emitter<Pop3CheckResult>();
  /** Fires after each check with its report or error. */
  readonly onDidCheck = this._onDidCheck.event;
  private timer: NodeJS.Timeout | undefined;
  private readonly root: string;
  private readonly lockDir: string;

  constructor(private readonly options: Pop3AccountRegistryOptions) {
    this.root = path.join(options.storageDir, 'pop3');
    this.lockDir = path.join(options.storageDir, 'locks');
    this.reschedule();
  }

  cache(account: AccountConfig): Promise<Pop3Cache> {
    let cache = this.caches.get(account.id);
    if (!cache) {
      cache = loadEngine().Pop3Cache.open(this.root, account.id, { log: this.log(account) });
      cache.catch(() => this.caches.delete(account.id));
      this.caches.set(account.id, cache);
    }
    return cache;
  }

  /** Drops the in-memory cache; the next use reads it from disk again (as after a restart). */
  forget(accountId: string): void {
    this.caches.delete(accountId);
    this._onDidChange.fire(accountId);
  }

  /** The last check's failure, shown in the tree until a check succeeds. */
  lastError(accountId: string): MailError | undefined {
    return this.lastChecks.get(accountId)?.error;
  }

  checkState(accountId: string): Pop3CheckState {
    const last = this.lastChecks.get(accountId);
    return { checking: this.checks.has(accountId), ...(last ? { last } : {}) };
  }

  /** Checks one account; concurrent calls share one check. */
  check(account: AccountConfig, progress?: (done: number, total: number) => void): Promise<Pop3CheckResult> {
    let running = this.checks.get(account.id);
    if (!running) {
      running = this.runCheck(account, progress); // removes itself from `checks` when done
      void running.then((result) => this._onDidCheck.fire(result));
      this.checks.set(account.id, running);
      this._onDidChange.fire(account.id); // the tree says a check is running
    }
    return running;
  }

  /** Checks every POP3 account, with progress in the window's status area. */
  async checkAll(): Promise<Pop3CheckResult[]> {
    const accounts = this.options.repository.list().filter((a) => a.protocol === 'pop3');
    if (accounts.length === 0) return [];
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Checking POP3 mail') }, async (progress) => {
      const results: Pop3CheckResult[] = [];
      for (const account of accounts) {
        progress.report({ message: accountLabel(account) });
        results.push(await this.check(account, (done, total) => progress.report({ message: vscode.l10n.t('{0}: {1}/{2}', accountLabel(account), done, total) })));
      }
      return results;
    });
  }

  /** The whole message; a headers-only copy is completed from the server first. */
  async source(account: AccountConfig, uidl: string): Promise<Buffer> {
    const cache = await this.cache(account);
    const entry = cache.get(uidl);
    if (!entry) throw new MailError('MessageNotFound', vscode.l10n.t('This message is no longer in the local POP3 cache.'), { localized: true });
    if (!entry.partial) return cache.readSource(uidl);
    const bytes = await loadEngine().fetchFullBody({ account, credentials: this.options.repository.credentials(account), log: this.log(account), timeoutMs: mailroomSettings().connectionTimeoutMs, lockDir: this.lockDir, cache, uidl });
    this._onDidChange.fire(account.id);
    return bytes;
  }

  async setFlags(account: AccountConfig, uidls: string[], flags: Partial<LocalFlags>): Promise<void> {
    const cache = await this.cache(account);
    for (const uidl of uidls) await cache.setFlags(uidl, flags);
    this._onDidChange.fire(account.id);
  }

  /** Removes the local copy (never downloaded again); the server copy follows the policy. */
  async remove(account: AccountConfig, uidl: string): Promise<void> {
    const cache = await this.cache(account);
    await cache.remove(uidl);
    this._onDidChange.fire(account.id);
  }

  /** Restarts the check timer after a settings change. */
  reschedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const interval = mailroomSettings().pop3CheckIntervalMs;
    if (interval === 0) return;
    this.timer = setInterval(() => void this.checkAll().catch(() => undefined), interval);
    this.timer.unref?.();
  }

  /** Forgets caches of accounts that were removed (their Maildirs stay until the account is gone). */
  reconcile(accounts: readonly AccountConfig[]): void {
    const ids = new Set(accounts.map((a) => a.id));
    for (const id of [...this.caches.keys()]) if (!ids.has(id)) this.caches.delete(id);
  }

  private async runCheck(account: AccountConfig, progress?: (done: number, total: number) => void): Promise<Pop3CheckResult> {
    const log = this.log(account);
    try {
      const cache = await this.cache(account);
      const report = await loadEngine().checkMail({
        account,
        credentials: this.options.repository.credentials(account),
        log,
        timeoutMs: mailroomSettings().connectionTimeoutMs,
        lockDir: this.lockDir,
        cache,
        policy: policyOf(account),
        ...(progress ? { onProgress: progress } : {}),
      });
      this.lastChecks.set(account.id, { at: new Date(), report });
      log.info(`check: ${report.onServer} on the server, ${report.downloaded} downloaded (${report.bytes} bytes), ${report.skippedAlreadyCached} already cached, ${report.deletedFromServer} deleted from the server`);
      for (const w of report.warnings) log.warn(w);
      return { accountId: account.id, report };
    } catch (err) {
      const error = MailError.from(err);
      this.lastChecks.set(account.id, { at: new Date(), error });
      log.warn(`check failed: ${error.message} ${error.detail ?? ''}`);
      return { accountId: account.id, error };
    } finally {
      // Not running any more before the tree is told, or it would still say "Checking…". (This
      // runs after the first await above, so after check() stored the promise.)
      this.checks.delete(account.id);
      this._onDidChange.fire(account.id);
    }
  }

  private log(account: AccountConfig): ProtocolLog {
    return taggedLog(this.options.log, `pop3 ${accountLabel(account)}`);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this._onDidChange.dispose();
    this._onDidCheck.dispose();
  }
}

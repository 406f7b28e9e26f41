import * as path from 'node:path';
import * as vscode from 'vscode';
import { AccountConfig, accountLabel } from '../protocol/account';
import type { ImapAccount } from '../protocol/imap/imapAccount';
import { ProtocolLog, taggedLog } from '../protocol/log';
import type { BodyCache } from '../store/bodyCache';
import type { ConnectionLeases } from '../store/connectionLeases';
import type { FolderListCache } from '../store/folderListCache';
import type { HeaderCache } from '../store/headerCache';
import { loadEngine } from '../loadEngine';
import { Emitter } from '../util/event';
import type { AccountRepository } from './accounts';
import { mailroomSettings } from './settings';

export interface ImapAccountRegistryOptions {
  repository: AccountRepository;
  log: ProtocolLog;
  clientVersion: string;
  /** `globalStorageUri.fsPath`: caches, queue and connection leases live below it. */
  storageDir: string;
}

/**
 * One ImapAccount per configured IMAP account, created on first use (activation connects
 * nowhere), replaced when the account's settings change, closed when it goes. The stores are
 * shared by all accounts and live in global storage, so every VS Code window sees the same cache.
 * The sync engine and the stores come from the engine bundle, loaded on first use, not at activation.
 */
export class ImapAccountRegistry implements vscode.Disposable {
  private readonly accounts = new Map<string, { key: string; account: ImapAccount }>();
  private readonly _onDidCreate = new Emitter<ImapAccount>();
  /** Fires for each new ImapAccount, so views can subscribe to its events. */
  readonly onDidCreate = this._onDidCreate.event;
  private readonly _onDidChangeCache = new Emitter<{ accountId: string; path?: string }>();
  /**
   * Fires when the header or the body cache changes. Subscribing opens nothing: the caches are
   * made on first use (engine bundle) and forwarded from then on; before that nothing can change.
   */
  readonly onDidChangeCache = this._onDidChangeCache.event;
  private readonly queueDir: string;
  private stores: { headers: HeaderCache; bodies: BodyCache; folderList: FolderListCache; leases: ConnectionLeases } | undefined;

  constructor(private readonly options: ImapAccountRegistryOptions) {
    this.queueDir = path.join(options.storageDir, 'imap', 'queue');
  }

  get headers(): HeaderCache {
    return this.openStores().headers;
  }

  get bodies(): BodyCache {
    return this.openStores().bodies;
  }

  get folderList(): FolderListCache {
    return this.openStores().folderList;
  }

  private get leases(): ConnectionLeases {
    return this.openStores().leases;
  }

  /** The shared stores, made on first use (they live in the engine bundle). */
  private openStores(): NonNullable<ImapAccountRegistry['stores']> {
    if (this.stores) return this.stores;
    const { HeaderCache, BodyCache, FolderListCache, ConnectionLeases } = loadEngine();
    const dir = path.join(this.options.storageDir, 'imap');
    this.stores = {
      headers: new HeaderCache({ dir: path.join(dir, 'headers'), log: this.options.log }),
      bodies: new BodyCache({ dir: path.join(dir, 'bodies'), maxBytes: mailroomSettings().bodyCacheBytes }),
      folderList: new FolderListCache(path.join(dir, 'folders'), this.options.log),
      leases: new ConnectionLeases({ dir: path.join(this.options.storageDir, 'leases') }),
    };
    this.stores.headers.onDidChange((c) => this._onDidChangeCache.fire(c));
    this.stores.bodies.onDidChange((c) => this._onDidChangeCache.fire(c));
    return this.stores;
  }

  get(config: AccountConfig): ImapAccount {
    const key = JSON.stringify(config);
    const existing = this.accounts.get(config.id);
    if (existing?.key === key) return existing.account;
    if (existing) void existing.account.close();
    const account = this.create(config);
    this.accounts.set(config.id, { key, account });
    this._onDidCreate.fire(account);
    return account;
  }

  /** Accounts created so far (those the user has looked at). */
  active(): ImapAccount[] {
    return [...this.accounts.values()].map((e) => e.account);
  }

  /** Closes accounts whose settings changed or that were removed; drops removed accounts' caches. */
  async reconcile(configs: readonly AccountConfig[]): Promise<void> {
    const current = new Map(configs.map((a) => [a.id, JSON.stringify(a)]));
    const stale = [...this.accounts].filter(([id, entry]) => current.get(id) !== entry.key);
    for (const [id] of stale) this.accounts.delete(id);
    await Promise.all(stale.map(([, entry]) => entry.account.close()));
    for (const [id] of stale) {
      if (!current.has(id)) await this.forget(id);
    }
  }

  /** Applies a settings change to every open account (e.g. show unsubscribed folders). */
  applySettings(): void {
    const settings = mailroomSettings();
    for (const { account } of this.accounts.values()) account.setIncludeUnsubscribed(settings.showUnsubscribedFolders);
  }

  private async forget(accountId: string): Promise<void> {
    const { dropOfflineQueue } = loadEngine();
    await Promise.all([
      this.headers.dropAccount(accountId),
      this.bodies.dropAccount(accountId),
      this.folderList.drop(accountId),
      dropOfflineQueue(this.queueDir, accountId),
    ]).catch((err: unknown) => this.options.log.warn(`dropping caches of removed account ${accountId}: ${String(err)}`));
  }

  private create(config: AccountConfig): ImapAccount {
    const { ImapAccount, ImapSupervisor, OfflineQueue } = loadEngine();
    const settings = mailroomSettings();
    const log = taggedLog(this.options.log, `imap ${accountLabel(config)}`);
    const supervisor = new ImapSupervisor({
      account: config,
      credentials: this.options.repository.credentials(config),
      log,
      timeoutMs: settings.connectionTimeoutMs,
      clientVersion: this.options.clientVersion,
      maxConnections: settings.maxConnectionsPerAccount,
      leases: this.leases,
      idle: { path: 'INBOX', enabled: true },
    });
    return new ImapAccount({
      account: config,
      supervisor,
      headers: this.headers,
      bodies: this.bodies,
      folderList: this.folderList,
      openQueue: () => OfflineQueue.open({ dir: this.queueDir, accountId: config.id, log }),
      log,
      pollIntervalMs: settings.pollIntervalMs,
      includeUnsubscribed: settings.showUnsubscribedFolders,
    });
  }

  dispose(): void {
    for (const { account } of this.accounts.values()) void account.close();
    this.accounts.clear();
    this._onDidCreate.dispose();
    this._onDidChangeCache.dispose();
    if (!this.stores) return; // never used in this window
    void this.stores.headers.flushAll().catch(() => undefined);
    void this.stores.bodies.flush().catch(() => undefined);
    // Stops the lease heartbeats and frees this window's connection slots for other windows.
    this.stores.leases.dispose();
  }
}

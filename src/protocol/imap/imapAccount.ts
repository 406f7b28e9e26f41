/**
 * One IMAP account as the rest of Mailroom sees it: the supervisor's connections, the header
 * cache, the body cache and the offline queue behind one object.
 *
 * The server holds the truth. Reads answer from the cache at once and then apply the server's
 * delta; writes update the cache optimistically, go to the server, and are queued (durably) when
 * the server cannot be reached, to be replayed in order on reconnect. Changes made elsewhere reach
 * the cache through IDLE on INBOX (plus a check when IDLE starts, ./watchStart) and a poll of the
 * other open folders, and are announced with `onDidChangeFolder`/`onDidChangeFolders`.
 */
import { serverThreadAlgorithm, uidThread, type ThreadGroups } from './operations/thread';
import type { ImapFlow } from 'imapflow';
import type { AccountConfig } from '../account';
import { MailError } from '../errors';
import type { ProtocolLog } from '../log';
import { Emitter, Event } from '../../util/event';
import type { IDisposable } from '../../util/dispose';
import type { FolderCache, HeaderCacheStore } from './cacheContract';
import { FolderInfo, flattenFolders } from './folders';
import { fetchMessageSource } from './messages';
import { setFlags as storeFlags, markAllRead } from './operations/flags';
import { deleteDraft as deleteDraftOn, pickSpecialFolder, resolveConfiguredFolder, saveDraft as saveDraftOn } from './operations/drafts';
import { copyMessages, deleteMessages, moveMessages } from './operations/move';
import { createFolder, deleteFolder, listFolderTree, renameFolder, setSubscribed } from './operations/folders';
import { searchFolder, SearchCriteria } from './operations/search';
import type { ConnectionState, ImapSupervisor, MailboxEvent, RunOptions } from './supervisor';
import { fetchNewestPage, SyncResult } from './sync';
import { catchUpOnWatchStart } from './watchStart';
import type { OfflineOperation } from './operations/offlineOperation';
import { reapplyFlagChange, sameFlagList, withFlagChange } from './operations/flagChange';
import { BodyStore, FolderChange, FolderListStore, isUnreachable, NewMail, PendingQueue, SearchHit, WriteOutcome } from './account/accountTypes';
import { FolderSyncs } from './account/folderSyncs';
import { OfflineWrites, type WriteOperation } from './account/offlineWrites';

export * from './account/accountTypes';

export interface ImapAccountOptions {
  account: AccountConfig;
  supervisor: ImapSupervisor;
  headers: HeaderCacheStore;
  bodies: BodyStore;
  folderList: FolderListStore;
  /** This account's offline queue, opened once (it reads a file). */
  openQueue(): Promise<PendingQueue>;
  log: ProtocolLog;
  /** How often open folders other than INBOX (and the folder list) are re-checked; 0 = never. */
  pollIntervalMs: number;
  includeUnsubscribed?: boolean;
}

export interface FolderListing {
  folders: FolderInfo[];
  /** True when the list came from the cache because the server could not be reached. */
  offline: boolean;
  /** Why the server could not be asked, when offline. */
  error?: MailError;
}

/** A search result is cut here; the UI says so. */
export const SEARCH_RESULT_LIMIT = 500;

export class ImapAccount implements IDisposable {
  private readonly _onDidChangeFolder = new Emitter<FolderChange>();
  readonly onDidChangeFolder: Event<FolderChange> = this._onDidChangeFolder.event;
  private readonly _onDidChangeFolders = new Emitter<void>();
  readonly onDidChangeFolders: Event<void> = this._onDidChangeFolders.event;
  private readonly _onNewMail = new Emitter<NewMail>();
  readonly onNewMail: Event<NewMail> = this._onNewMail.event;
  private readonly _onDidClose = new Emitter<void>();
  /** Fires once when the account is closed (settings changed or account removed). */
  readonly onDidClose: Event<void> = this._onDidClose.event;
  readonly onDidChangeState: Event<ConnectionState>;

  private readonly openFolders = new Set<string>();
  /** First pages being fetched (openFolder): a second opener waits for it, not for the full sync. */
  private readonly firstPages = new Map<string, Promise<void>>();
  /** The UIDVALIDITY a first page was fetched under, until the folder's first sync records its state. */
  private readonly pageUidValidity = new Map<string, string>();
  private readonly syncs: FolderSyncs;
  private readonly writes: OfflineWrites;
  private readonly subscriptions: IDisposable[] = [];
  private folderSnapshot: string | undefined;
  private lastFolders: FolderInfo[] | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly options: ImapAccountOptions) {
    this.onDidChangeState = options.supervisor.onDidChangeState;
    const { account, supervisor, headers, bodies, log } = options;
    this.syncs = new FolderSyncs({
      accountId: account.id,
      supervisor,
      headers,
      bodies,
      log,
      onDidChangeFolder: (change) => this._onDidChangeFolder.fire(change),
      onNewMail: (mail) => this._onNewMail.fire(mail),
    });
    this.writes = new OfflineWrites({ account, supervisor, headers, openQueue: options.openQueue, log, onQueuedWhileOnline: () => void this.replayThenSync() });
    // Connect now (the account is created when the user looks at it): IDLE on INBOX starts.
    supervisor.start();
    this.subscriptions.push(
      options.supervisor.onMailboxEvent((e) => this.onMailboxEvent(e)),
      options.supervisor.onDidChangeState((state) => {
        if (state === 'online') void this.replayThenSync();
      }),
    );
    if (options.pollIntervalMs > 0) {
      this.pollTimer = setInterval(() => void this.poll(), options.pollIntervalMs);
      this.pollTimer.unref?.();
    }
  }

  get account(): AccountConfig {
    return this.options.account;
  }

  get id(): string {
    return this.options.account.id;
  }

  state(): ConnectionState {
    return this.options.supervisor.state();
  }

  /** Asks the supervisor to reconnect now (Refresh, window focus, wake). */
  kick(): void {
    this.options.supervisor.kick();
  }

  // ---- folders -------------------------------------------------------------------------------

  async folders(): Promise<FolderListing> {
    try {
      const folders = await this.listFromServer();
      return { folders, offline: false };
    } catch (err) {
      const error = MailError.from(err);
      if (!isUnreachable(error)) throw error;
      const cached = this.lastFolders ?? (await this.options.folderList.load(this.id));
      if (!cached) throw error;
      this.lastFolders = cached;
      return { folders: cached, offline: true, error };
    }
  }

  setIncludeUnsubscribed(value: boolean): void {
    this.options.includeUnsubscribed = value;
  }

  /** The Trash folder by special use, falling back to a top-level folder named Trash (top level of the personal namespace). */
  async trashPath(): Promise<string | undefined> {
    if (!this.lastFolders) await this.folders().catch(() => undefined);
    return pickSpecialFolder(this.lastFolders ?? [], '\\Trash');
  }

  /** The Archive folder by special use (RFC 6154 \Archive), falling back to a top-level "Archive(s)". */
  async archivePath(): Promise<string | undefined> {
    if (!this.lastFolders) await this.folders().catch(() => undefined);
    return pickSpecialFolder(this.lastFolders ?? [], '\\Archive');
  }

  async createFolder(parentPath: string | undefined, name: string): Promise<string> {
    const { path } = await this.online('create folder', (client) => createFolder(client, parentPath, name));
    await this.listFromServer();
    return path;
  }

  async renameFolder(path: string, newName: string): Promise<string> {
    const { to: newPath } = await this.online('rename folder', (client) => renameFolder(client, path, newName));
    const delimiter = flattenFolders(this.lastFolders ?? []).find((f) => f.path === path)?.delimiter;
    await this.options.headers.renameFolder(this.id, path, newPath, delimiter);
    await this.options.bodies.dropFolder(this.id, path);
    if (this.openFolders.delete(path)) this.openFolders.add(newPath);
    await this.listFromServer();
    return newPath;
  }

  /** Deletes the folder and its subfolders on the server (the caller has confirmed). */
  async deleteFolder(path: string): Promise<void> {
    const deleted = await this.online('delete folder', (client) => deleteFolder(client, path, { withSubfolders: true }));
    for (const p of deleted) {
      this.openFolders.delete(p);
      await this.options.headers.dropFolder(this.id, p);
      await this.options.bodies.dropFolder(this.id, p);
    }
    await this.listFromServer();
  }

  async setSubscribed(path: string, subscribed: boolean): Promise<void> {
    await this.online(subscribed ? 'subscribe' : 'unsubscribe', (client) => setSubscribed(client, path, subscribed));
    await this.listFromServer();
  }

  // ---- messages ------------------------------------------------------------------------------

  /**
   * The folder's cache, as it is now, and a sync with the server started in the background; its
   * result arrives as `onDidChangeFolder`. A folder never seen before first gets its newest
   * `firstPage` envelopes (one SELECT and one FETCH), so a large folder shows at once.
   */
  async openFolder(path: string, firstPage = 0): Promise<FolderCache> {
    const cache = await this.options.headers.folder(this.id, path);
    if (!this.openFolders.has(path)) {
      this.openFolders.add(path);
      if (firstPage > 0 && !cache.state() && cache.count() === 0) {
        const fetching = this.options.supervisor
          .run(`first page ${path}`, (client) => fetchNewestPage(client, cache, { limit: firstPage, log: this.options.log }))
          .then(
            (page) => void this.pageUidValidity.set(path, page.uidValidity),
            (err: unknown) => this.options.log.info(`first page of ${path} not fetched: ${MailError.from(err).message}`),
          );
        this.firstPages.set(path, fetching);
        try {
          await fetching;
        } finally {
          this.firstPages.delete(path);
        }
      }
      void this.sync(path).catch(() => undefined);
    } else {
      // Opened a moment ago by someone else (the status bar opens INBOX): the page is on its way,
      // and the full sync starts after it, so waiting for the page is short.
      await this.firstPages.get(path);
    }
    return cache;
  }

  /**
   * The UIDVALIDITY the cached rows of `path` belong to: the synced state's, or before the first
   * sync ends the one the first page was fetched under ('' when neither is known). Messages shown
   * from a first page carry it, so replying to one can still mark it \Answered.
   */
  uidValidityOf(path: string, cache: FolderCache): string {
    return cache.state()?.uidValidity ?? this.pageUidValidity.get(path) ?? '';
  }

  /**
   * Syncs a folder with the server and resolves once a sync that started after this call has
   * ended, so the caller sees every change the server had when it asked.
   */
  sync(path: string): Promise<SyncResult> {
    return this.syncs.sync(path);
  }

  /** The folder's UIDVALIDITY as last synced, undefined before the first sync. */
  async knownUidValidity(path: string): Promise<string | undefined> {
    return (await this.options.headers.folder(this.id, path)).state()?.uidValidity;
  }

  /** The raw message, from the body cache or the server (BODY.PEEK: reading does not mark it read). */
  async source(path: string, uid: number): Promise<Buffer> {
    const cache = await this.options.headers.folder(this.id, path);
    const uidValidity = cache.state()?.uidValidity;
    if (uidValidity) {
      const cached = await this.options.bodies.get(this.id, path, uidValidity, uid);
      if (cached) return cached;
    }
    const bytes = await this.options.supervisor.run(`fetch body ${path} ${uid}`, (client) => fetchMessageSource(client, path, uid));
    if (uidValidity) await this.options.bodies.put(this.id, path, uidValidity, uid, bytes).catch((err: unknown) => this.options.log.warn(`body cache: ${String(err)}`));
    return bytes;
  }

  async setFlags(path: string, uids: number[], change: { add?: string[]; remove?: string[] }): Promise<WriteOutcome> {
    const cache = await this.options.headers.folder(this.id, path);
    const previous = new Map<number, { flags: string[]; optimistic: string[]; modseq?: string }>();
    for (const uid of uids) {
      const current = cache.get(uid);
      if (!current) continue;
      const optimistic = withFlagChange(current.flags, change);
      previous.set(uid, { flags: current.flags, optimistic, ...(current.modseq !== undefined ? { modseq: current.modseq } : {}) });
      cache.setFlags(uid, optimistic, current.modseq);
    }
    await cache.flush();
    this._onDidChangeFolder.fire({ path });
    try {
      const outcome = await this.write({ kind: 'flags', path, uids, ...(change.add ? { add: change.add } : {}), ...(change.remove ? { remove: change.remove } : {}) }, (client) => storeFlags(client, path, uids, change).then(() => ({ applied: true })));
      if (outcome.applied && reapplyFlagChange(cache, uids, change)) {
        // A sync queued before the STORE read the flags as they were and overwrote the optimistic
        // ones; the server has done the STORE since, so the change holds on top of what it read.
        await cache.flush();
        this._onDidChangeFolder.fire({ path });
      }
      return outcome;
    } catch (err) {
      // Refused and not queued: show the flags the server has again. A sync would not: nothing
      // changed on the server, so QRESYNC/CONDSTORE report nothing for these messages.
      for (const [uid, p] of previous) {
        const now = cache.get(uid);
        if (now && sameFlagList(now.flags, p.optimistic)) cache.setFlags(uid, p.flags, p.modseq);
      }
      await cache.flush().catch(() => undefined);
      this._onDidChangeFolder.fire({ path });
      throw err;
    }
  }

  async markFolderRead(path: string): Promise<void> {
    await this.online('mark folder read', (client) => markAllRead(client, path));
    await this.sync(path);
  }

  async move(path: string, uids: number[], to: string): Promise<WriteOutcome> {
    return this.transfer('move', path, uids, to);
  }

  async copy(path: string, uids: number[], to: string): Promise<WriteOutcome> {
    return this.transfer('copy', path, uids, to);
  }

  /** Moves to Trash; in Trash (or without one) removes for good: the caller confirms first. */
  async delete(path: string, uids: number[]): Promise<WriteOutcome> {
    const trash = await this.trashPath();
    if (trash && trash !== path) return this.transfer('move', path, uids, trash);
    const outcome = await this.write({ kind: 'delete', path, uids }, async (client) => {
      const result = await deleteMessages(client, path, uids, {});
      return { applied: true, leftFlaggedDeleted: result.leftFlaggedDeleted };
    });
    await this.dropFromCache(path, uids, outcome);
    return outcome;
  }

  /** True when deleting in `path` removes messages for good instead of moving them to Trash. */
  async deletesPermanently(path: string): Promise<boolean> {
    const trash = await this.trashPath();
    return !trash || trash === path;
  }

  async search(paths: string[], criteria: SearchCriteria): Promise<{ hits: SearchHit[]; capped: boolean }> {
    const hits: SearchHit[] = [];
    let capped = false;
    for (const path of paths) {
      if (hits.length >= SEARCH_RESULT_LIMIT) {
        capped = true;
        break;
      }
      const uids = await this.online(`search ${path}`, (client) => searchFolder(client, path, criteria));
      if (uids.length === 0) continue;
      const cache = await this.options.headers.folder(this.id, path);
      if (uids.some((uid) => !cache.get(uid))) await this.sync(path);
      const uidValidity = cache.state()?.uidValidity ?? '';
      for (const uid of uids) {
        const envelope = cache.get(uid);
        if (!envelope) continue; // expunged between SEARCH and sync
        if (hits.length >= SEARCH_RESULT_LIMIT) {
          capped = true;
          break;
        }
        hits.push({ path, uidValidity, envelope });
      }
    }
    hits.sort((a, b) => (b.envelope.date ?? '').localeCompare(a.envelope.date ?? ''));
    return { hits, capped };
  }

  /**
   * The server's threads of `path` (UID THREAD), or undefined when it offers no algorithm that
   * fits `mergeSubjects` (operations/thread.ts); a failure rejects and the caller threads locally.
   */
  async serverThreads(path: string, mergeSubjects: boolean): Promise<{ uidValidity: string; groups: ThreadGroups } | undefined> {
    return this.online(`thread ${path}`, async (client) => {
      const algorithm = serverThreadAlgorithm(client.capabilities, mergeSubjects);
      return algorithm ? uidThread(client, path, algorithm) : undefined;
    });
  }

  /**
   * APPENDs exact message bytes with flags (the POP3 → IMAP consolidation path). Online only:
   * the caller keeps its copy until this resolves.
   */
  async append(path: string, bytes: Buffer, flags: string[], internalDate?: Date): Promise<void> {
    // Never run twice: a drop after the server stored the message but before its OK arrived
    // would store it again. The caller gets the connection error and keeps its copy.
    const once = { retry: false };
    await this.online(`append to ${path}`, async (client) => {
      const result = await client.append(path, bytes, flags, internalDate);
      if (!result) throw new MailError('CommandFailed', `The server did not accept the message into ${path}.`);
    }, once);
    if (this.openFolders.has(path)) void this.sync(path).catch(() => undefined);
    else this._onDidChangeFolder.fire({ path });
  }

  // ---- sending: Sent and Drafts (logic in operations/drafts.ts) ------------------------------

  /** The Sent or Drafts folder: the account's sentFolder/draftsFolder, else special-use, else a common name. */
  async specialFolder(use: '\\Sent' | '\\Drafts'): Promise<string | undefined> {
    const override = use === '\\Sent' ? this.options.account.sentFolder : this.options.account.draftsFolder;
    if (!this.lastFolders) await this.folders().catch(() => undefined);
    if (override) return resolveConfiguredFolder(this.lastFolders ?? [], override);
    return pickSpecialFolder(this.lastFolders ?? [], use);
  }

  /** APPENDs the draft (\Draft \Seen) and removes its older copies (same X-Mailroom-Draft id). Online only; never run twice. */
  async saveDraft(path: string, bytes: Buffer, draftId: string): Promise<void> {
    const trashPath = await this.trashPath();
    const result = await this.online(`save draft to ${path}`, (client) => saveDraftOn(client, path, bytes, draftId, trashPath ? { trashPath } : {}), { retry: false });
    if (result.leftFlaggedDeleted.length) this.options.log.info(`drafts: ${result.leftFlaggedDeleted.length} older copy(ies) left flagged \\Deleted in ${path} (no UIDPLUS)`);
    this.afterDraftChange(path);
  }

  /** Removes every copy of the draft from `path`. */
  async deleteDraft(path: string, draftId: string): Promise<void> {
    const trashPath = await this.trashPath();
    await this.online(`delete draft in ${path}`, (client) => deleteDraftOn(client, path, draftId, trashPath ? { trashPath } : {}));
    this.afterDraftChange(path);
  }

  private afterDraftChange(path: string): void {
    if (this.openFolders.has(path)) void this.sync(path).catch(() => undefined);
    else this._onDidChangeFolder.fire({ path });
  }

  /** Operations waiting for the server, oldest first. */
  pending(): readonly OfflineOperation[] {
    return this.writes.pending();
  }

  async close(): Promise<void> {
    this.dispose();
    await this.options.headers.flushAll().catch(() => undefined);
    await this.options.supervisor.close();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.syncs.dispose();
    for (const s of this.subscriptions) s.dispose();
    this._onDidClose.fire();
    this._onDidClose.dispose();
    this._onDidChangeFolder.dispose();
    this._onDidChangeFolders.dispose();
    this._onNewMail.dispose();
  }

  // ---- internals -----------------------------------------------------------------------------

  private onMailboxEvent(e: MailboxEvent): void {
    if (e.kind === 'resync-needed') {
      void this.resyncAll();
      return;
    }
    if (e.kind === 'watching') {
      const { headers, log } = this.options;
      void catchUpOnWatchStart(e, { isOpen: (p) => this.openFolders.has(p), folder: (p) => headers.folder(this.id, p), running: (p) => this.syncs.current(p), sync: (p) => this.sync(p), log });
      return;
    }
    this.syncs.schedule(e.path);
  }

  private async resyncAll(): Promise<void> {
    await this.writes.replay();
    await this.listFromServer().catch(() => undefined);
    await this.syncOpenFolders();
  }

  /** After a replay the cache may hold optimistic state the server refused: sync what is open. */
  private async replayThenSync(): Promise<void> {
    if (await this.writes.replay()) await this.syncOpenFolders();
  }

  private async syncOpenFolders(): Promise<void> {
    for (const path of this.openFolders) if (!this.syncs.isOverLimit(path)) await this.sync(path).catch(() => undefined);
  }

  private async poll(): Promise<void> {
    if (this.disposed || this.state() === 'closed') return;
    if (this.state() !== 'online') {
      this.kick();
      return;
    }
    await this.listFromServer().catch(() => undefined);
    for (const path of this.openFolders) {
      if (path.toUpperCase() === 'INBOX') continue; // IDLE (or the supervisor's own poll) covers INBOX
      if (this.syncs.isOverLimit(path)) continue;
      await this.sync(path).catch(() => undefined);
    }
  }

  private async listFromServer(): Promise<FolderInfo[]> {
    const folders = await this.options.supervisor.run('list folders', (client) => listFolderTree(client, { includeUnsubscribed: this.options.includeUnsubscribed ?? false, status: true }));
    this.rememberFolders(folders);
    return folders;
  }

  private rememberFolders(folders: FolderInfo[]): void {
    this.lastFolders = folders;
    const snapshot = JSON.stringify(folders);
    if (snapshot === this.folderSnapshot) return;
    const first = this.folderSnapshot === undefined;
    this.folderSnapshot = snapshot;
    void this.options.folderList.save(this.id, folders).catch((err: unknown) => this.options.log.warn(`folder list cache: ${String(err)}`));
    if (!first) this._onDidChangeFolders.fire();
  }

  private async transfer(kind: 'move' | 'copy', path: string, uids: number[], to: string): Promise<WriteOutcome> {
    const outcome = await this.write({ kind, path, uids, to }, async (client) => {
      if (kind === 'copy') {
        await copyMessages(client, path, uids, to);
        return { applied: true };
      }
      const result = await moveMessages(client, path, uids, to);
      return { applied: true, leftFlaggedDeleted: result.leftFlaggedDeleted };
    });
    if (kind === 'move') await this.dropFromCache(path, uids, outcome);
    if (outcome.applied && this.openFolders.has(to)) void this.sync(to).catch(() => undefined);
    return outcome;
  }

  private async dropFromCache(path: string, uids: number[], outcome: WriteOutcome): Promise<void> {
    const kept = new Set(outcome.leftFlaggedDeleted ?? []);
    const cache = await this.options.headers.folder(this.id, path);
    cache.remove(uids.filter((u) => !kept.has(u)));
    await cache.flush();
    this._onDidChangeFolder.fire({ path });
  }

  private write(op: WriteOperation, apply: (client: ImapFlow) => Promise<WriteOutcome>): Promise<WriteOutcome> {
    return this.writes.write(op, apply);
  }

  private async online<T>(label: string, work: (client: ImapFlow) => Promise<T>, options?: RunOptions): Promise<T> {
    try {
      return await this.options.supervisor.run(label, work, options);
    } catch (err) {
      throw MailError.from(err);
    }
  }
}


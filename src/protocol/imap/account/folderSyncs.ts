/**
 * The syncs of one account's folders: at most one running per folder, callers during a run
 * sharing the one sync that starts when it ends (so each caller sees what the server had when it
 * asked), bursts of IDLE events debounced into one sync, and folders whose sync hit a size limit
 * left alone until asked for explicitly. Results and failures go out through the callbacks.
 */
import { MailError } from '../../errors';
import type { ProtocolLog } from '../../log';
import type { CachedEnvelope, HeaderCacheStore } from '../cacheContract';
import type { ImapSupervisor } from '../supervisor';
import { syncFolder, type SyncResult } from '../sync';
import type { BodyStore, FolderChange, NewMail } from './accountTypes';

/** Change events from IDLE arrive in bursts; one sync per burst. */
const EVENT_DEBOUNCE_MS = 250;

export interface FolderSyncsOptions {
  accountId: string;
  supervisor: Pick<ImapSupervisor, 'run'>;
  headers: HeaderCacheStore;
  bodies: BodyStore;
  log: ProtocolLog;
  onDidChangeFolder(change: FolderChange): void;
  onNewMail(mail: NewMail): void;
}

export class FolderSyncs {
  private readonly running = new Map<string, Promise<SyncResult>>();
  /** Per folder, the sync that starts once the running one ends (for callers that came during it). */
  private readonly queued = new Map<string, Promise<SyncResult>>();
  /**
   * Folders whose last sync failed on a limit (../limits.ts). The failure cut the connection, and
   * the reconnect's resync would meet the same response and cut it again, without end: only an
   * explicit sync() runs them again.
   */
  private readonly overLimit = new Set<string>();
  private readonly debounce = new Map<string, NodeJS.Timeout>();
  private disposed = false;

  constructor(private readonly options: FolderSyncsOptions) {}

  /**
   * Syncs a folder with the server and resolves once a sync that started after this call has
   * ended, so the caller sees every change the server had when it asked. Calls during a running
   * sync share one sync that starts when it ends.
   */
  sync(path: string): Promise<SyncResult> {
    const running = this.running.get(path);
    if (running) {
      let queued = this.queued.get(path);
      if (!queued) {
        const settled = running.then(() => undefined, () => undefined);
        queued = settled.then(() => {
          this.queued.delete(path);
          return this.disposed ? running : this.sync(path);
        });
        this.queued.set(path, queued);
      }
      return queued;
    }
    const run = this.run(path).finally(() => this.running.delete(path));
    this.running.set(path, run);
    return run;
  }

  /** The sync of `path` running now, if any. */
  current(path: string): Promise<SyncResult> | undefined {
    return this.running.get(path);
  }

  /** A sync of `path` shortly, one for a burst of calls; none for a folder over a limit. */
  schedule(path: string): void {
    if (this.disposed || this.overLimit.has(path)) return;
    clearTimeout(this.debounce.get(path));
    this.debounce.set(
      path,
      setTimeout(() => {
        this.debounce.delete(path);
        void this.sync(path).catch(() => undefined);
      }, EVENT_DEBOUNCE_MS),
    );
  }

  /** Whether the folder's last sync failed on a limit (background syncs skip it). */
  isOverLimit(path: string): boolean {
    return this.overLimit.has(path);
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.debounce.values()) clearTimeout(t);
    this.debounce.clear();
  }

  private async run(path: string): Promise<SyncResult> {
    const { accountId, headers, bodies, supervisor, log } = this.options;
    const cache = await headers.folder(accountId, path);
    const firstSync = cache.state() === undefined;
    try {
      const result = await supervisor.run(`sync ${path}`, (client) => syncFolder(client, cache, { log }));
      this.overLimit.delete(path);
      await cache.flush();
      if (result.uidValidityChanged) await bodies.dropFolder(accountId, path);
      this.options.onDidChangeFolder({ path, result });
      if (!firstSync && !result.uidValidityChanged && result.added.length > 0) {
        const envelopes = result.added.map((uid) => cache.get(uid)).filter((e): e is CachedEnvelope => !!e && !e.flags.includes('\\Seen'));
        if (envelopes.length) this.options.onNewMail({ path, envelopes });
      }
      return result;
    } catch (err) {
      const error = MailError.from(err);
      if (error.code === 'LimitExceeded') this.overLimit.add(path);
      this.options.onDidChangeFolder({ path, error });
      throw error;
    }
  }
}

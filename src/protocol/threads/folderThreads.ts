/**
 * The conversations of one IMAP folder: its messages threaded together with the account's Sent
 * folder, so the user's own replies join their threads. Built on first use (when the folder is
 * first shown by conversation), from the server's UID THREAD when it offers a fitting algorithm and
 * by JWZ from the header cache otherwise; then kept current from the account's folder changes
 * (IDLE, resync) by re-threading only the threads a change touches (ThreadIndex).
 *
 * A thread is listed for the folder when at least one of its messages is in the folder: a thread
 * of Sent messages alone belongs to Sent.
 */
import type { FolderCache, ThreadFields } from '../imap/cacheContract';
import type { ThreadGroups } from '../imap/operations/thread';
import type { SyncResult } from '../imap/sync';
import type { ProtocolLog } from '../log';
import { Emitter, type Event } from '../../util/event';
import type { IDisposable } from '../../util/dispose';
import type { Thread, ThreadMessage } from './jwz';
import { ThreadIndex } from './threadIndex';

/** What FolderThreads needs of an account (ImapAccount has it). */
export interface ThreadSource {
  openFolder(path: string): Promise<FolderCache>;
  sync(path: string): Promise<SyncResult>;
  specialFolder(use: '\\Sent'): Promise<string | undefined>;
  serverThreads(path: string, mergeSubjects: boolean): Promise<{ uidValidity: string; groups: ThreadGroups } | undefined>;
  readonly onDidChangeFolder: Event<{ path: string; result?: SyncResult }>;
}

export interface FolderThreadsOptions {
  mergeSubjects?: boolean;
  /** Thread the Sent folder's messages in too (default true). */
  includeSent?: boolean;
  log: ProtocolLog;
}

/** A message's key in the index: folder path and UID. */
export function messageKey(path: string, uid: number): string {
  return `${path}\n${uid}`;
}

export function parseMessageKey(key: string): { path: string; uid: number } {
  const i = key.lastIndexOf('\n');
  return { path: key.slice(0, i), uid: Number(key.slice(i + 1)) };
}

export class FolderThreads implements IDisposable {
  private readonly _onDidChange = new Emitter<void>();
  /** Fires after the threads changed (messages added, removed, re-threaded). */
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidInvalidate = new Emitter<void>();
  /** Fires when the index no longer matches the folder (UIDVALIDITY changed): build a new one. */
  readonly onDidInvalidate = this._onDidInvalidate.event;
  private readonly subscription: IDisposable;
  private listed: Thread[] | undefined;
  private disposed = false;

  private constructor(
    readonly path: string,
    readonly sentPath: string | undefined,
    /** Where the grouping came from at build time. */
    readonly source: 'server' | 'local',
    private readonly index: ThreadIndex,
    private readonly caches: Map<string, FolderCache>,
    events: ThreadSource['onDidChangeFolder'],
    private readonly log: ProtocolLog,
  ) {
    this.subscription = events((change) => this.apply(change.path, change.result));
  }

  static async build(source: ThreadSource, path: string, options: FolderThreadsOptions): Promise<FolderThreads> {
    const mergeSubjects = options.mergeSubjects ?? false;
    const index = new ThreadIndex({ mergeSubjects });
    const caches = new Map<string, FolderCache>();
    const cache = await openSynced(source, path);
    caches.set(path, cache);
    let sentPath: string | undefined;
    if (options.includeSent !== false) {
      sentPath = await source.specialFolder('\\Sent').catch(() => undefined);
      if (sentPath === path) sentPath = undefined;
      if (sentPath) {
        try {
          caches.set(sentPath, await openSynced(source, sentPath));
        } catch (err) {
          options.log.info(`threads of "${path}": Sent folder "${sentPath}" not read (${err instanceof Error ? err.message : String(err)})`);
          sentPath = undefined;
        }
      }
    }
    const folderMessages = toMessages(path, cache.threadFields());
    const sentMessages = sentPath ? toMessages(sentPath, (caches.get(sentPath) as FolderCache).threadFields()) : [];

    let server: { uidValidity: string; groups: ThreadGroups } | undefined;
    try {
      server = await source.serverThreads(path, mergeSubjects);
    } catch (err) {
      options.log.info(`threads of "${path}": server THREAD failed, threading locally (${err instanceof Error ? err.message : String(err)})`);
    }
    let built: 'server' | 'local' = 'local';
    if (server && server.uidValidity === cache.state()?.uidValidity) {
      index.seed(folderMessages, server.groups.map((g) => g.map((uid) => messageKey(path, uid))));
      index.add(sentMessages);
      built = 'server';
    } else {
      index.add([...folderMessages, ...sentMessages]);
    }
    options.log.debug(`threads of "${path}": ${index.threads().length} from ${folderMessages.length} messages + ${sentMessages.length} in ${sentPath ?? '(no Sent)'}, ${built}`);
    return new FolderThreads(path, sentPath, built, index, caches, source.onDidChangeFolder, options.log);
  }

  /** Threads with a message in this folder, newest activity first. */
  threads(): readonly Thread[] {
    this.listed ??= this.index.threads().filter((t) => t.keys.some((k) => parseMessageKey(k).path === this.path));
    return this.listed;
  }

  thread(id: string): Thread | undefined {
    return this.index.thread(id);
  }

  /** The thread holding a message of this folder or Sent. */
  threadOf(path: string, uid: number): Thread | undefined {
    return this.index.threadOfKey(messageKey(path, uid));
  }

  /** The cache of a folder the threads read (this folder or Sent). */
  cache(path: string): FolderCache | undefined {
    return this.caches.get(path);
  }

  message(key: string): ThreadMessage | undefined {
    return this.index.message(key);
  }

  dispose(): void {
    this.disposed = true;
    this.subscription.dispose();
    this._onDidChange.dispose();
    this._onDidInvalidate.dispose();
  }

  /** A sync's result for this folder or Sent: only the messages it added or removed are re-threaded. */
  private apply(path: string, result: SyncResult | undefined): void {
    const cache = this.caches.get(path);
    if (this.disposed || !cache || !result) return;
    if (result.uidValidityChanged) {
      this.log.info(`threads of "${this.path}": UIDVALIDITY of "${path}" changed; threads built again`);
      this._onDidInvalidate.fire();
      return;
    }
    if (!result.added.length && !result.removed.length) {
      // Flags only: counts change, grouping does not.
      if (result.changed.length) this._onDidChange.fire();
      return;
    }
    this.index.remove(result.removed.map((uid) => messageKey(path, uid)));
    const added: ThreadMessage[] = [];
    for (const uid of result.added) {
      const e = cache.get(uid);
      if (!e) continue;
      added.push({
        key: messageKey(path, uid),
        ...(e.messageId ? { messageId: e.messageId } : {}),
        ...(e.inReplyTo ? { inReplyTo: e.inReplyTo } : {}),
        references: e.references ?? [],
        date: e.date ? Date.parse(e.date) : NaN,
        subject: e.subject,
      });
    }
    this.index.add(added);
    this.listed = undefined;
    this._onDidChange.fire();
  }
}

/** The folder's cache, synced at least once (a cache never synced lacks most of the folder). */
async function openSynced(source: ThreadSource, path: string): Promise<FolderCache> {
  const cache = await source.openFolder(path);
  if (!cache.state()) await source.sync(path);
  return cache;
}

function toMessages(path: string, fields: ThreadFields[]): ThreadMessage[] {
  return fields.map((f) => ({
    key: messageKey(path, f.uid),
    ...(f.messageId ? { messageId: f.messageId } : {}),
    ...(f.inReplyTo ? { inReplyTo: f.inReplyTo } : {}),
    references: f.references,
    date: f.date,
    subject: f.subject,
  }));
}

/**
 * The local search index as the window uses it: created on the first search (or a little after
 * the first cache write of a session), never at activation; kept in step with the caches through
 * their change events, refreshed in the background with a short delay; flushed on dispose. The
 * engine module (src/store/search) is imported on first use.
 */
import * as path from 'node:path';
import { accountLabel } from '../../protocol/account';
import type { CachedEnvelope } from '../../protocol/imap/cacheContract';
import type { ProtocolLog } from '../../protocol/log';
import type { MailQuery } from '../../protocol/searchQuery';
import type { CachedPop3Message } from '../../store/pop3';
import type { LocalSearchIndex, SearchHit } from '../../store/search/localIndex';
import { loadEngine } from '../../loadEngine';
import { Disposable } from '../../util/dispose';
import type { AccountRepository } from '../accounts';
import type { ImapAccountRegistry } from '../imapAccounts';
import type { Pop3AccountRegistry } from '../pop3Accounts';

/** A cache change is folded into the index this long after the last one (a sync writes in batches). */
const REFRESH_DELAY_MS = 1500;
/** After the first cache write of a session, the index is built this much later, in the background. */
const WARM_DELAY_MS = 5000;

export interface LocalSearchServiceOptions {
  repository: AccountRepository;
  imap: ImapAccountRegistry;
  pop3: Pop3AccountRegistry;
  log: ProtocolLog;
  storageDir: string;
}

/** One result, with what the row shows. */
export interface LocalSearchResult {
  hit: SearchHit;
  accountLabel: string;
  subject: string;
  from?: { name: string; address: string };
  date?: string;
  folder: string;
  unread: boolean;
  flagged: boolean;
  envelope?: CachedEnvelope;
  pop3?: CachedPop3Message;
}

export class LocalSearchService extends Disposable {
  private index: Promise<LocalSearchIndex> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly dir: string;

  constructor(private readonly options: LocalSearchServiceOptions) {
    super();
    this.dir = path.join(options.storageDir, 'search');
    // Subscriptions only: nothing is read or built until a search, or until the caches change.
    this._register(options.imap.onDidChangeCache((c) => this.changed(c.accountId, c.path)));
    this._register(options.pop3.onDidChange((id) => this.changed(id)));
    this._register(options.repository.onDidChange(() => this.schedule(0)));
  }

  /** The index, brought up to the caches (built on first call). */
  async ready(): Promise<LocalSearchIndex> {
    const index = await this.open();
    await index.refresh();
    return index;
  }

  /** Whether the index exists in this window yet (a first search builds it). */
  get opened(): boolean {
    return this.index !== undefined;
  }

  async search(query: MailQuery, limit?: number): Promise<LocalSearchResult[]> {
    const index = await this.open();
    const hits = index.search(query, limit);
    const rows = await Promise.all(hits.map((hit) => this.describe(hit).catch(() => undefined)));
    return rows.filter((r): r is LocalSearchResult => r !== undefined);
  }

  private async describe(hit: SearchHit): Promise<LocalSearchResult | undefined> {
    const account = this.options.repository.get(hit.accountId);
    if (!account) return undefined;
    const label = accountLabel(account);
    if (hit.protocol === 'imap') {
      const e = (await this.options.imap.headers.folder(hit.accountId, hit.path)).get(hit.uid);
      if (!e) return undefined;
      return {
        hit,
        accountLabel: label,
        subject: e.subject,
        ...(e.from ? { from: e.from } : {}),
        ...(e.date ? { date: e.date } : {}),
        folder: hit.path,
        unread: !e.flags.includes('\\Seen'),
        flagged: e.flags.includes('\\Flagged'),
        envelope: e,
      };
    }
    const m = (await this.options.pop3.cache(account)).get(hit.uidl);
    if (!m) return undefined;
    const date = m.date ?? m.receivedAt;
    return { hit, accountLabel: label, subject: m.subject, ...(m.from ? { from: m.from } : {}), date, folder: 'Inbox', unread: !m.flags.seen, flagged: m.flags.flagged, pop3: m };
  }

  private open(): Promise<LocalSearchIndex> {
    this.index ??= this.create();
    return this.index;
  }

  private create(): Promise<LocalSearchIndex> {
    // From the engine bundle, loaded on first use: the index is made on the first search.
    const { LocalSearchIndex, cacheSources } = loadEngine();
    const { repository, imap, pop3, log } = this.options;
    const sources = cacheSources({
      accounts: () => repository.list().map((a) => ({ id: a.id, protocol: a.protocol })),
      headers: imap.headers,
      bodies: imap.bodies,
      pop3: (accountId: string) => {
        const account = repository.get(accountId);
        return account ? pop3.cache(account) : Promise.reject(new Error('account removed'));
      },
    });
    return Promise.resolve(new LocalSearchIndex({ dir: this.dir, sources, log }));
  }

  private changed(accountId: string, path?: string): void {
    if (!this.index) {
      this.schedule(WARM_DELAY_MS);
      return;
    }
    void this.index.then((index) => index.markDirty(accountId, path));
    this.schedule(REFRESH_DELAY_MS);
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.ready().catch((err: unknown) => this.options.log.warn(`local search index not updated: ${String(err)}`));
    }, delayMs);
    this.timer.unref?.();
  }

  override dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.index?.then((index) => index.flush()).catch(() => undefined);
    super.dispose();
  }
}

export function describeWhere(r: LocalSearchResult): string {
  const when = r.date ? new Date(r.date).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' }) : '';
  return [when, r.folder, r.accountLabel].filter(Boolean).join(' · ');
}

export const SEARCH_ON_SERVER = 'Search on the server…';

export function serverRowDetail(query: string): string {
  return query.trim() ? `Runs "${query.trim()}" as a server search (finds mail that is not cached)` : 'Finds mail that is not cached';
}

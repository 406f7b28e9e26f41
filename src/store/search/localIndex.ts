/**
 * Local search over what is cached: every synced IMAP folder's headers, the IMAP bodies in the body
 * cache and every POP3 message. The caches are the truth and the index is derived from them:
 * `refresh()` compares each dirty folder with the index (UIDs added or expunged, flags, bodies
 * cached or evicted, a new UIDVALIDITY) and changes only the difference, so a damaged or missing
 * index file costs a rebuild, never mail. The caches say what changed through `markDirty` (their
 * change events, wired by the provider). One file per account (indexFile.ts), dropped with it.
 */
import type { CachedEnvelope, FolderCache } from '../../protocol/imap/cacheContract';
import type { ProtocolLog } from '../../protocol/log';
import type { MailQuery } from '../../protocol/searchQuery';
import type { CachedPop3Message } from '../pop3/types';
import { readIndexFile, removeIndexFile, storedAccounts, StoredAccount, StoredImapDoc, StoredPop3Doc, writeIndexFile } from './indexFile';
import { Field, fieldTerms, FIELDS, TermGroup, TextIndex, tokenize } from './textIndex';

/** Flag bits kept per document (for filters without touching the caches). */
export const UNSEEN = 1;
export const FLAGGED = 2;
export const ATTACHMENT = 4;
/** The body's words are in the index. */
export const BODY = 8;

/** Distinct body terms indexed per message: bounds the index, whatever a message holds. */
export const MAX_BODY_TERMS = 3000;
/** Body text read per message (characters). */
export const MAX_BODY_CHARS = 64 * 1024;
/** Shorter words match whole words only, not as prefixes. */
export const MIN_PREFIX_CHARS = 2;
/** Results a query returns at most. */
export const DEFAULT_RESULT_LIMIT = 50;

/** What the index needs of a message body: text and what the header cache does not have. */
export interface BodyText {
  text: string;
  /** To and Cc as text (names and addresses). */
  recipients: string;
  hasAttachment: boolean;
}

export interface SearchSources {
  /** The configured accounts (others' index files are removed). */
  accounts(): Array<{ id: string; protocol: 'imap' | 'pop3' }>;
  knownFolders(accountId: string): Promise<string[]>;
  folder(accountId: string, path: string): Promise<FolderCache>;
  /** Bodies in the body cache, without touching their last use. */
  cachedBodies(accountId: string): Promise<Array<{ path: string; uidValidity: string; uid: number }>>;
  readBody(accountId: string, path: string, uidValidity: string, uid: number): Promise<Buffer | undefined>;
  pop3Messages(accountId: string): Promise<CachedPop3Message[]>;
  readPop3(accountId: string, uidl: string): Promise<Buffer>;
  parseBody(bytes: Buffer): Promise<BodyText>;
}

export type SearchHit =
  | { accountId: string; protocol: 'imap'; path: string; uidValidity: string; uid: number; score: number; date?: number }
  | { accountId: string; protocol: 'pop3'; uidl: string; score: number; date?: number };

interface FolderDocs {
  path: string;
  uidValidity: string;
  docs: Map<number, number>;
}

interface AccountDocs {
  id: string;
  folders: Map<string, FolderDocs>;
  pop3: Map<string, number>;
  /** Folder paths to compare with the caches; '*' = all. */
  dirty: Set<string>;
  changed: boolean;
}

interface DocMeta {
  account: AccountDocs;
  folder: FolderDocs | undefined;
  uid: number;
  uidl: string | undefined;
  date: number;
  flags: number;
}

const ALL = '*';
/** Changes are written this long after a refresh (a sync writes in batches). */
const SAVE_DELAY_MS = 3000;
const POP3_FOLDER = 'inbox';

export interface LocalIndexOptions {
  /** E.g. globalStorageUri.fsPath + '/search'. */
  dir: string;
  sources: SearchSources;
  log: ProtocolLog;
}

export class LocalSearchIndex {
  private readonly text = new TextIndex();
  private readonly meta: Array<DocMeta | undefined> = [];
  private readonly accounts = new Map<string, AccountDocs>();
  private refreshing: Promise<void> | undefined;
  private again = false;
  private saving: Promise<void> = Promise.resolve();
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LocalIndexOptions) {}

  /** Documents indexed. */
  get size(): number {
    return this.text.size;
  }

  /** A cache changed: compare this folder (or the whole account) on the next refresh. */
  markDirty(accountId: string, path?: string): void {
    const account = this.accounts.get(accountId);
    account?.dirty.add(path ?? ALL);
  }

  /** Brings the index up to the caches; concurrent calls share one run (and one more after it). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    const run = (async () => {
      do {
        this.again = false;
        await this.refreshOnce();
      } while (this.again);
    })();
    this.refreshing = run.finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Ranked hits, best first (score, then newest). */
  search(query: MailQuery, limit = DEFAULT_RESULT_LIMIT): SearchHit[] {
    const groups: TermGroup[] = [];
    const add = (text: string | undefined, fields: readonly Field[]): void => {
      // One letter matches whole words only: as a prefix it matches most of a mailbox, and ranking
      // that many after the first keystroke costs time and shows nothing useful.
      for (const token of tokenize(text ?? '')) groups.push({ token, fields, ...(token.length < MIN_PREFIX_CHARS ? { exact: true } : {}) });
    };
    for (const w of query.words) add(w, FIELDS);
    add(query.subject, ['s']);
    add(query.from, ['f']);
    add(query.to, ['t']);
    add(query.body, ['b']);
    if (!groups.length && (query.words.length || query.subject || query.from || query.to || query.body)) return []; // only punctuation typed
    const since = query.since?.getTime();
    const before = query.before?.getTime();
    const folder = query.folder?.toLowerCase();
    const filtered = since !== undefined || before !== undefined || query.unread !== undefined || query.flagged !== undefined || !!query.hasAttachment || folder !== undefined;
    const allowed = (doc: number): boolean => {
      const m = this.meta[doc];
      if (!m) return false;
      if (since !== undefined && !(m.date >= since)) return false;
      if (before !== undefined && !(m.date < before)) return false;
      if (query.unread !== undefined && query.unread !== ((m.flags & UNSEEN) !== 0)) return false;
      if (query.flagged !== undefined && query.flagged !== ((m.flags & FLAGGED) !== 0)) return false;
      if (query.hasAttachment && !(m.flags & ATTACHMENT)) return false;
      if (folder !== undefined && !(m.folder ? m.folder.path.toLowerCase() : POP3_FOLDER).includes(folder)) return false;
      return true;
    };
    const { docs, scores } = this.text.match(groups, filtered ? allowed : undefined);
    return topK(docs, scores, this.meta, limit).map((doc) => this.hit(doc, scores[doc]));
  }

  /** Removes an account's documents and its file. */
  async dropAccount(accountId: string): Promise<void> {
    const account = this.accounts.get(accountId);
    if (account) {
      for (const f of account.folders.values()) for (const doc of f.docs.values()) this.removeDoc(doc);
      for (const doc of account.pop3.values()) this.removeDoc(doc);
      this.accounts.delete(accountId);
    }
    await this.saving;
    await removeIndexFile(this.options.dir, accountId);
  }

  /** Writes every changed account now (deactivation, tests). */
  async flush(): Promise<void> {
    await this.refreshing?.catch(() => undefined);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.saving;
    await this.save();
  }

  // ---- refresh -------------------------------------------------------------------------------

  private async refreshOnce(): Promise<void> {
    const configured = this.options.sources.accounts();
    const ids = new Set(configured.map((a) => a.id));
    for (const id of [...this.accounts.keys()]) if (!ids.has(id)) await this.dropAccount(id);
    for (const id of await storedAccounts(this.options.dir)) if (!ids.has(id)) await removeIndexFile(this.options.dir, id).catch(() => undefined);
    for (const { id, protocol } of configured) {
      const account = this.accounts.get(id) ?? (await this.load(id));
      if (!account.dirty.size) continue;
      const dirty = new Set(account.dirty);
      account.dirty.clear();
      try {
        if (protocol === 'imap') await this.refreshImap(account, dirty);
        else await this.refreshPop3(account);
      } catch (err) {
        for (const p of dirty) account.dirty.add(p);
        this.options.log.warn(`search index: account ${id} not brought up to date (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    this.text.prepare();
    this.scheduleSave();
  }

  private scheduleSave(): void {
    if (this.saveTimer || ![...this.accounts.values()].some((a) => a.changed)) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saving = this.saving.then(() => this.save()).catch((err: unknown) => this.options.log.warn(`search index not saved: ${String(err)}`));
    }, SAVE_DELAY_MS);
    this.saveTimer.unref?.();
  }

  private async refreshImap(account: AccountDocs, dirty: Set<string>): Promise<void> {
    const { sources } = this.options;
    const known = new Set(await sources.knownFolders(account.id));
    for (const [path, f] of account.folders) if (!known.has(path)) this.dropFolder(account, f);
    const bodies = new Map<string, Map<number, string>>();
    for (const b of await sources.cachedBodies(account.id)) {
      let m = bodies.get(b.path);
      if (!m) bodies.set(b.path, (m = new Map()));
      m.set(b.uid, b.uidValidity);
    }
    for (const path of known) {
      if (!dirty.has(ALL) && !dirty.has(path)) continue;
      const cache = await sources.folder(account.id, path);
      await this.refreshFolder(account, cache, bodies.get(path));
    }
  }

  private async refreshFolder(account: AccountDocs, cache: FolderCache, bodies: Map<number, string> | undefined): Promise<void> {
    const path = cache.path;
    const state = cache.state();
    let f = account.folders.get(path);
    if (f && (!state || f.uidValidity !== state.uidValidity)) {
      this.dropFolder(account, f); // UIDVALIDITY changed (or the cache was reset): every UID means another message
      f = undefined;
    }
    if (!state) return;
    if (!f) account.folders.set(path, (f = { path, uidValidity: state.uidValidity, docs: new Map() }));
    const uids = cache.uids();
    const present = new Set(uids);
    for (const [uid, doc] of f.docs) {
      if (present.has(uid)) continue;
      this.removeDoc(doc);
      f.docs.delete(uid);
      account.changed = true;
    }
    for (const uid of uids) {
      const e = cache.get(uid);
      if (!e) continue;
      const wantBody = bodies?.get(uid) === f.uidValidity;
      const doc = f.docs.get(uid);
      const flags = imapFlagBits(e.flags);
      const date = e.date ? Date.parse(e.date) : NaN;
      if (doc !== undefined) {
        const m = this.meta[doc] as DocMeta;
        if (((m.flags & BODY) !== 0) === wantBody) {
          const next = (m.flags & (ATTACHMENT | BODY)) | flags;
          if (next !== m.flags || !sameDate(m.date, date)) account.changed = true;
          m.flags = next;
          m.date = date;
          continue;
        }
        this.removeDoc(doc);
      }
      const terms = envelopeTerms(e);
      let bits = flags;
      if (wantBody) {
        const bytes = await this.options.sources.readBody(account.id, path, f.uidValidity, uid).catch(() => undefined);
        if (bytes) bits |= await this.bodyTerms(bytes, terms);
      }
      f.docs.set(uid, this.addDoc(terms, { account, folder: f, uid, uidl: undefined, date, flags: bits }));
      account.changed = true;
    }
  }

  private async refreshPop3(account: AccountDocs): Promise<void> {
    const messages = await this.options.sources.pop3Messages(account.id);
    const present = new Set(messages.map((m) => m.uidl));
    for (const [uidl, doc] of account.pop3) {
      if (present.has(uidl)) continue;
      this.removeDoc(doc);
      account.pop3.delete(uidl);
      account.changed = true;
    }
    for (const m of messages) {
      const flags = (m.flags.seen ? 0 : UNSEEN) | (m.flags.flagged ? FLAGGED : 0);
      const date = Date.parse(m.date ?? m.receivedAt);
      const doc = account.pop3.get(m.uidl);
      // A headers-only copy completed later is indexed again with its body.
      const wantBody = !m.partial;
      if (doc !== undefined) {
        const meta = this.meta[doc] as DocMeta;
        if (((meta.flags & BODY) !== 0) === wantBody) {
          const next = (meta.flags & (ATTACHMENT | BODY)) | flags;
          if (next !== meta.flags) account.changed = true;
          meta.flags = next;
          continue;
        }
        this.removeDoc(doc);
      }
      const terms = new Set<string>();
      fieldTerms('s', m.subject, terms);
      if (m.from) fieldTerms('f', `${m.from.name} ${m.from.address}`, terms);
      const bytes = await this.options.sources.readPop3(account.id, m.uidl).catch(() => undefined);
      let bits = flags;
      if (bytes) {
        const b = await this.bodyTerms(bytes, terms, wantBody);
        bits |= wantBody ? b : 0;
      }
      account.pop3.set(m.uidl, this.addDoc(terms, { account, folder: undefined, uid: 0, uidl: m.uidl, date, flags: bits }));
      account.changed = true;
    }
  }

  /** Adds the body's terms (and To/Cc); returns BODY, plus ATTACHMENT when it has one. */
  private async bodyTerms(bytes: Buffer, into: Set<string>, withText = true): Promise<number> {
    try {
      const body = await this.options.sources.parseBody(bytes);
      fieldTerms('t', body.recipients, into);
      if (!withText) return 0;
      fieldTerms('b', body.text.slice(0, MAX_BODY_CHARS), into, MAX_BODY_TERMS);
      return BODY | (body.hasAttachment ? ATTACHMENT : 0);
    } catch {
      return 0; // unparseable: found by its headers only
    }
  }

  // ---- documents -----------------------------------------------------------------------------

  private addDoc(terms: Iterable<string>, meta: DocMeta): number {
    const doc = this.text.add(terms);
    this.meta[doc] = meta;
    return doc;
  }

  private removeDoc(doc: number): void {
    this.text.remove(doc);
    this.meta[doc] = undefined;
  }

  private dropFolder(account: AccountDocs, f: FolderDocs): void {
    for (const doc of f.docs.values()) this.removeDoc(doc);
    account.folders.delete(f.path);
    account.changed = true;
  }

  private hit(doc: number, score: number): SearchHit {
    const m = this.meta[doc] as DocMeta;
    const date = Number.isNaN(m.date) ? {} : { date: m.date };
    if (m.folder) return { accountId: m.account.id, protocol: 'imap', path: m.folder.path, uidValidity: m.folder.uidValidity, uid: m.uid, score, ...date };
    return { accountId: m.account.id, protocol: 'pop3', uidl: m.uidl as string, score, ...date };
  }

  // ---- files ---------------------------------------------------------------------------------

  private async load(accountId: string): Promise<AccountDocs> {
    const account: AccountDocs = { id: accountId, folders: new Map(), pop3: new Map(), dirty: new Set([ALL]), changed: false };
    this.accounts.set(accountId, account);
    let stored: StoredAccount | undefined;
    try {
      stored = await readIndexFile(this.options.dir, accountId);
    } catch (err) {
      this.options.log.warn(`search index of account ${accountId} is damaged (${err instanceof Error ? err.message : String(err)}); rebuilding it from the cache`);
      await removeIndexFile(this.options.dir, accountId).catch(() => undefined);
      account.changed = true;
      return account;
    }
    if (!stored) return account;
    const global = Uint32Array.from(stored.terms, (t) => this.text.termId(t));
    const add = (ids: number[], meta: DocMeta): number => {
      const doc = this.text.addIds(ids.map((i) => global[i]));
      this.meta[doc] = meta;
      return doc;
    };
    for (const sf of stored.folders) {
      const f: FolderDocs = { path: sf.path, uidValidity: sf.uidValidity, docs: new Map() };
      account.folders.set(sf.path, f);
      for (const [uid, date, flags, ids] of sf.docs) f.docs.set(uid, add(ids, { account, folder: f, uid, uidl: undefined, date: date ?? NaN, flags }));
    }
    for (const [uidl, date, flags, ids] of stored.pop3) account.pop3.set(uidl, add(ids, { account, folder: undefined, uid: 0, uidl, date: date ?? NaN, flags }));
    return account;
  }

  private async save(): Promise<void> {
    for (const account of this.accounts.values()) {
      if (!account.changed) continue;
      account.changed = false;
      try {
        await writeIndexFile(this.options.dir, this.stored(account));
      } catch (err) {
        account.changed = true;
        throw err;
      }
    }
  }

  private stored(account: AccountDocs): StoredAccount {
    const terms: string[] = [];
    const numbers = new Map<number, number>();
    const encode = (doc: number): number[] =>
      Array.from(this.text.termIdsOf(doc) ?? [], (id) => {
        let n = numbers.get(id);
        if (n === undefined) numbers.set(id, (n = terms.push(this.text.termAt(id)) - 1));
        return n;
      });
    const folders = [...account.folders.values()].map((f) => ({
      path: f.path,
      uidValidity: f.uidValidity,
      docs: [...f.docs].map(([uid, doc]): StoredImapDoc => {
        const m = this.meta[doc] as DocMeta;
        return [uid, Number.isNaN(m.date) ? null : m.date, m.flags, encode(doc)];
      }),
    }));
    const pop3 = [...account.pop3].map(([uidl, doc]): StoredPop3Doc => {
      const m = this.meta[doc] as DocMeta;
      return [uidl, Number.isNaN(m.date) ? null : m.date, m.flags, encode(doc)];
    });
    return { v: 1, accountId: account.id, terms, folders, pop3 };
  }
}

function imapFlagBits(flags: string[]): number {
  return (flags.includes('\\Seen') ? 0 : UNSEEN) | (flags.includes('\\Flagged') ? FLAGGED : 0);
}

function sameDate(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function envelopeTerms(e: CachedEnvelope): Set<string> {
  const terms = new Set<string>();
  fieldTerms('s', e.subject, terms);
  if (e.from) fieldTerms('f', `${e.from.name} ${e.from.address}`, terms);
  for (const a of e.to ?? []) fieldTerms('t', `${a.name} ${a.address}`, terms);
  return terms;
}

/**
 * The `limit` best docs by score, then newest, without sorting them all: one number per doc
 * (score in quarters above the date; scores are sums of weights in quarters), the limit-th
 * largest found by selection, then only those sorted.
 */
function topK(docs: number[], scores: Float32Array, meta: Array<DocMeta | undefined>, limit: number): number[] {
  const n = docs.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = Math.min(1000, Math.round(scores[docs[i]] * 4)) * DATE_SPAN + dateKey(meta, docs[i]);
  let order: number[];
  if (n > limit) {
    const threshold = kthLargest(keys.slice(), limit);
    order = [];
    for (let i = 0; i < n; i++) if (keys[i] > threshold) order.push(i);
    for (let i = 0; i < n && order.length < limit; i++) if (keys[i] === threshold) order.push(i);
  } else {
    order = Array.from(keys.keys());
  }
  return order.sort((a, b) => keys[b] - keys[a]).map((i) => docs[i]);
}

/** Dates (ms since 1970, shifted to be positive) fit below this; a missing date sorts last. */
const DATE_SPAN = 2 ** 43;
const DATE_SHIFT = 2 ** 42;

function dateKey(meta: Array<DocMeta | undefined>, doc: number): number {
  const d = meta[doc]?.date ?? NaN;
  return Number.isNaN(d) ? 0 : Math.min(DATE_SPAN - 1, Math.max(1, d + DATE_SHIFT));
}

/** The k-th largest value (1-based), by quickselect; reorders `a`. */
function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}

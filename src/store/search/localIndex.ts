/**
 * Local search over what is cached: every synced IMAP folder's headers, the IMAP bodies in the body
 * cache and every POP3 message. The caches are the truth and the index is derived from them:
 * `refresh()` compares each dirty folder with the index (UIDs added or expunged, flags, bodies
 * cached or evicted, a new UIDVALIDITY) and changes only the difference, so a damaged or missing
 * index file costs a rebuild, never mail. The caches say what changed through `markDirty` (their
 * change events, wired by the provider). One file per account (indexFile.ts), dropped with it.
 * Per document the index keeps columns (docTable.ts), no objects: memory stays near the header
 * cache's own (bench `search.indexHeap100k`).
 */
import type { CachedEnvelope, FolderCache } from '../../protocol/imap/cacheContract';
import type { ProtocolLog } from '../../protocol/log';
import type { MailQuery } from '../../protocol/searchQuery';
import type { CachedPop3Message } from '../pop3/types';
import { DocTable, NO_SLOT, Slot } from './docTable';
import { readIndexFile, removeIndexFile, storedAccounts, StoredAccount, writeIndexFile } from './indexFile';
import { AccountSlots, loadStored, storedAccount } from './persist';
import { topK } from './rank';
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

interface AccountDocs extends AccountSlots {
  /** Folder paths to compare with the caches; '*' = all. */
  dirty: Set<string>;
  changed: boolean;
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
  private readonly docs = new DocTable();
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
    const docs = this.docs;
    const slotMatches = new Map<number, boolean>();
    const folderMatches = (slot: number): boolean => {
      let ok = slotMatches.get(slot);
      if (ok === undefined) slotMatches.set(slot, (ok = (docs.slot(slot).path?.toLowerCase() ?? POP3_FOLDER).includes(folder as string)));
      return ok;
    };
    const allowed = (doc: number): boolean => {
      const slot = docs.slotIdOf(doc);
      if (slot === NO_SLOT) return false;
      const date = docs.date(doc);
      if (since !== undefined && !(date >= since)) return false;
      if (before !== undefined && !(date < before)) return false;
      const flags = docs.flags(doc);
      if (query.unread !== undefined && query.unread !== ((flags & UNSEEN) !== 0)) return false;
      if (query.flagged !== undefined && query.flagged !== ((flags & FLAGGED) !== 0)) return false;
      if (query.hasAttachment && !(flags & ATTACHMENT)) return false;
      if (folder !== undefined && !folderMatches(slot)) return false;
      return true;
    };
    const { docs: matched, scores } = this.text.match(groups, filtered ? allowed : undefined);
    return topK(matched, scores, (doc) => docs.date(doc), limit).map((doc) => this.hit(doc, scores[doc]));
  }

  /** Removes an account's documents and its file. */
  async dropAccount(accountId: string): Promise<void> {
    const account = this.accounts.get(accountId);
    if (account) {
      const slots = new Set(account.folders.values());
      if (account.pop3 !== undefined) slots.add(account.pop3);
      this.dropSlots(slots);
      this.accounts.delete(accountId);
      if (!this.refreshing) this.compactIfWorthIt(); // a refresh compacts when it ends
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
    // Doc ids change here only, with no refresh step holding one (they map UIDs to doc ids).
    this.compactIfWorthIt();
    this.text.prepare();
    this.scheduleSave();
  }

  private compactIfWorthIt(): void {
    if (this.text.wantsCompaction) {
      const map = this.text.compact();
      this.docs.renumber(map, this.text.capacity);
    }
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
    for (const path of [...account.folders.keys()]) if (!known.has(path)) this.dropFolder(account, path);
    const bodies = new Map<string, Map<number, string>>();
    for (const b of await sources.cachedBodies(account.id)) {
      let m = bodies.get(b.path);
      if (!m) bodies.set(b.path, (m = new Map()));
      m.set(b.uid, b.uidValidity);
    }
    const paths = [...known].filter((path) => dirty.has(ALL) || dirty.has(path));
    // The indexed docs of those folders, by UID, in one pass over the doc table.
    const slots = new Set(paths.flatMap((path) => account.folders.get(path) ?? []));
    const indexed = this.docs.docsBySlot(slots, this.text.capacity);
    for (const path of paths) {
      const cache = await sources.folder(account.id, path);
      if (this.accounts.get(account.id) !== account) return; // dropped meanwhile
      const slot = account.folders.get(path);
      await this.refreshFolder(account, cache, bodies.get(path), (slot !== undefined && indexed.get(slot)) || new Map());
    }
  }

  /** `indexed`: the folder's docs by UID (emptied and refilled as the folder changes). */
  private async refreshFolder(account: AccountDocs, cache: FolderCache, bodies: Map<number, string> | undefined, indexed: Map<number | string, number>): Promise<void> {
    const path = cache.path;
    const state = cache.state();
    let slotId = account.folders.get(path);
    if (slotId !== undefined && (!state || this.docs.slot(slotId).uidValidity !== state.uidValidity)) {
      this.dropFolder(account, path); // UIDVALIDITY changed (or the cache was reset): every UID means another message
      slotId = undefined;
      indexed.clear();
    }
    if (!state) return;
    if (slotId === undefined) account.folders.set(path, (slotId = this.docs.addSlot({ accountId: account.id, path, uidValidity: state.uidValidity })));
    const slot = this.docs.slot(slotId);
    const uids = cache.uids();
    const present = new Set(uids);
    for (const [uid, doc] of indexed) {
      if (present.has(uid as number)) continue;
      this.removeDoc(doc);
      indexed.delete(uid);
      account.changed = true;
    }
    for (const uid of uids) {
      const e = cache.get(uid);
      if (!e) continue;
      const wantBody = bodies?.get(uid) === slot.uidValidity;
      const doc = indexed.get(uid);
      const flags = imapFlagBits(e.flags);
      const date = e.date ? Date.parse(e.date) : NaN;
      if (doc !== undefined) {
        if (this.updateDoc(doc, wantBody, flags, date)) account.changed = true;
        if (((this.docs.flags(doc) & BODY) !== 0) === wantBody) continue;
        this.removeDoc(doc);
      }
      const terms = envelopeTerms(e);
      let bits = flags;
      if (wantBody) {
        const bytes = await this.options.sources.readBody(account.id, path, slot.uidValidity, uid).catch(() => undefined);
        if (bytes) bits |= await this.bodyTerms(bytes, terms);
        if (!this.holds(slotId, slot)) return; // the folder or account was dropped meanwhile
      }
      this.addDoc(terms, slotId, uid, date, bits);
      account.changed = true;
    }
  }

  private async refreshPop3(account: AccountDocs): Promise<void> {
    const messages = await this.options.sources.pop3Messages(account.id);
    if (this.accounts.get(account.id) !== account) return; // dropped meanwhile
    if (account.pop3 === undefined) account.pop3 = this.docs.addSlot({ accountId: account.id, path: undefined, uidValidity: '' });
    const slotId = account.pop3;
    const slot = this.docs.slot(slotId);
    const indexed = this.docs.docsBySlot(new Set([slotId]), this.text.capacity).get(slotId) as Map<number | string, number>;
    const present = new Set(messages.map((m) => m.uidl));
    for (const [uidl, doc] of indexed) {
      if (present.has(uidl as string)) continue;
      this.removeDoc(doc);
      account.changed = true;
    }
    for (const m of messages) {
      const flags = (m.flags.seen ? 0 : UNSEEN) | (m.flags.flagged ? FLAGGED : 0);
      const date = Date.parse(m.date ?? m.receivedAt);
      const doc = indexed.get(m.uidl);
      // A headers-only copy completed later is indexed again with its body.
      const wantBody = !m.partial;
      if (doc !== undefined) {
        // The date is the message's own: it does not change (and is not compared, as before).
        if (this.updateDoc(doc, wantBody, flags, this.docs.date(doc))) account.changed = true;
        if (((this.docs.flags(doc) & BODY) !== 0) === wantBody) continue;
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
      if (!this.holds(slotId, slot)) return;
      this.addDoc(terms, slotId, m.uidl, date, bits);
      account.changed = true;
    }
  }

  /**
   * Takes new flags and date into an indexed doc whose body state is still what is wanted;
   * returns whether anything changed. A doc whose body came or went is left for re-indexing.
   */
  private updateDoc(doc: number, wantBody: boolean, flags: number, date: number): boolean {
    const old = this.docs.flags(doc);
    if (((old & BODY) !== 0) !== wantBody) return false;
    const next = (old & (ATTACHMENT | BODY)) | flags;
    const changed = next !== old || !sameDate(this.docs.date(doc), date);
    this.docs.setFlags(doc, next);
    this.docs.setDate(doc, date);
    return changed;
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

  private addDoc(terms: Iterable<string>, slot: number, key: number | string, date: number, flags: number): number {
    const doc = this.text.add(terms);
    this.docs.set(doc, slot, key, date, flags);
    return doc;
  }

  private removeDoc(doc: number): void {
    this.text.remove(doc);
    this.docs.remove(doc);
  }

  /** The slot still stands for the folder it stood for when a refresh step began. */
  private holds(slotId: number, slot: Slot): boolean {
    return this.docs.slot(slotId) === slot;
  }

  private dropFolder(account: AccountDocs, path: string): void {
    const slot = account.folders.get(path);
    if (slot === undefined) return;
    this.dropSlots(new Set([slot]));
    account.folders.delete(path);
    account.changed = true;
  }

  private dropSlots(slots: Set<number>): void {
    for (const docs of this.docs.docsBySlot(slots, this.text.capacity).values()) for (const doc of docs.values()) this.removeDoc(doc);
    for (const slot of slots) this.docs.freeSlot(slot);
  }

  private hit(doc: number, score: number): SearchHit {
    const slot = this.docs.slot(this.docs.slotIdOf(doc));
    const d = this.docs.date(doc);
    const date = Number.isNaN(d) ? {} : { date: d };
    if (slot.path !== undefined) return { accountId: slot.accountId, protocol: 'imap', path: slot.path, uidValidity: slot.uidValidity, uid: this.docs.uid(doc), score, ...date };
    return { accountId: slot.accountId, protocol: 'pop3', uidl: this.docs.uidl(doc) as string, score, ...date };
  }

  // ---- files ---------------------------------------------------------------------------------

  private async load(accountId: string): Promise<AccountDocs> {
    const account: AccountDocs = { id: accountId, folders: new Map(), pop3: undefined, dirty: new Set([ALL]), changed: false };
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
    if (!stored || this.accounts.get(accountId) !== account) return account;
    loadStored(stored, account, this.text, this.docs);
    return account;
  }

  private async save(): Promise<void> {
    for (const account of this.accounts.values()) {
      if (!account.changed) continue;
      account.changed = false;
      try {
        await writeIndexFile(this.options.dir, storedAccount(account, this.text, this.docs));
      } catch (err) {
        account.changed = true;
        throw err;
      }
    }
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

/**
 * The durable POP3 cache of one account: a Maildir at `<root>/<accountId>/Maildir` holding the
 * exact bytes of every downloaded message, and an index (`pop3-index.json`) keyed by UIDL with
 * the fields the tree needs and the local read/flagged/answered state.
 *
 * The Maildir file names are the source of truth (UIDL, flags, download time, headers-only mark):
 * the index is a cache of them plus parsed header fields, written atomically, and repaired from
 * the Maildir on open. So a crash between a delivery and the next index save loses nothing.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MailError } from '../../protocol/errors';
import { ProtocolLog, silentLog } from '../../protocol/log';
import { headerBlockLength, parseHeaderFields } from './headers';
import { IndexFile, JournalLine, RemovedMessage } from './indexFile';
import { MAX_HEADER_BYTES, TMP_LEFTOVER_MAX_AGE_MS } from './limits';
import { fileNameFor, Maildir, MaildirName, newBaseName, parseMaildirName } from './maildir';
import { CachedPop3Message, LocalFlags } from './types';

export type { RemovedMessage } from './indexFile';

export interface Pop3CacheOptions {
  log?: ProtocolLog;
}

/** Turns an account id into one safe path segment on every platform. */
export function accountDirName(accountId: string): string {
  const safe = accountId.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe || '%';
}

export class Pop3Cache {
  private entries = new Map<string, CachedPop3Message>();
  /** Messages removed locally but maybe still on the server: never downloaded again. */
  private removed = new Map<string, RemovedMessage>();
  private sorted: CachedPop3Message[] | undefined;
  /** UIDLs whose entry or tombstone changed since the index was last saved. */
  private changedEntries = new Set<string>();
  private changedTombs = new Set<string>();
  private snapshotNeeded = false;
  private stamp = '';
  private queue: Promise<unknown> = Promise.resolve();
  private lastWarnings: string[] = [];
  readonly maildir: Maildir;
  private readonly index: IndexFile;

  private constructor(
    readonly dir: string,
    readonly accountId: string,
    private readonly log: ProtocolLog,
  ) {
    this.maildir = new Maildir(path.join(dir, 'Maildir'));
    this.index = new IndexFile(dir);
  }

  /** Opens (creating if needed) and reconciles the cache of `accountId` under `root`. */
  static async open(root: string, accountId: string, options: Pop3CacheOptions = {}): Promise<Pop3Cache> {
    const cache = new Pop3Cache(path.join(root, accountDirName(accountId)), accountId, options.log ?? silentLog);
    await cache.load();
    return cache;
  }

  /** Problems found by the last open or reload (entries dropped, corrupt index), in words. */
  get warnings(): readonly string[] {
    return this.lastWarnings;
  }

  // ---- reading -------------------------------------------------------------------------------

  /** Newest first, by the Date header, falling back to the download time. */
  list(): CachedPop3Message[] {
    this.sorted ??= sortNewestFirst(this.entries.values());
    return [...this.sorted];
  }

  page(offset: number, limit: number): CachedPop3Message[] {
    this.sorted ??= sortNewestFirst(this.entries.values());
    return this.sorted.slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit));
  }

  get(uidl: string): CachedPop3Message | undefined {
    const entry = this.entries.get(uidl);
    return entry && copy(entry);
  }

  /** What the check policy needs of a cached entry, without copying it. */
  peek(uidl: string): { receivedAt: string; partial: boolean } | undefined {
    return this.entries.get(uidl);
  }

  has(uidl: string): boolean {
    return this.entries.has(uidl);
  }

  get size(): number {
    return this.entries.size;
  }

  unseenCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (!e.flags.seen) n++;
    return n;
  }

  /** The exact bytes as downloaded (only the header block for a headers-only copy). */
  async readSource(uidl: string): Promise<Buffer> {
    return this.maildir.read(path.basename(this.require(uidl).file));
  }

  /** Locally removed messages (tombstones), so a check neither downloads them again nor forgets them. */
  removedMessages(): RemovedMessage[] {
    return [...this.removed.values()].map((r) => ({ ...r }));
  }

  getRemoved(uidl: string): RemovedMessage | undefined {
    const r = this.removed.get(uidl);
    return r && { ...r };
  }

  /**
   * Given every UIDL the server lists now, marks cached messages (and forgets tombstones) the
   * server no longer has. Local-only keys (`local:` from other tools, `sha256:` without UIDL)
   * are never on a server listing and are left alone.
   */
  noteServerListing(onServer: ReadonlySet<string>): void {
    const gone: string[] = [];
    for (const e of this.entries.values()) {
      if (!e.deletedFromServer && !onServer.has(e.uidl) && !e.uidl.startsWith('local:') && !e.uidl.startsWith('sha256:')) gone.push(e.uidl);
    }
    for (const uidl of this.removed.keys()) if (!onServer.has(uidl)) gone.push(uidl);
    if (gone.length) this.markDeletedFromServer(gone);
  }

  // ---- local state ---------------------------------------------------------------------------

  /** Changes local flags: the file is renamed (Maildir info flags), then the index saved. */
  setFlags(uidl: string, flags: Partial<LocalFlags>): Promise<void> {
    return this.serialized(async () => {
      const entry = this.require(uidl);
      const next = { ...entry.flags, ...pickFlags(flags) };
      const current = path.basename(entry.file);
      const parsed = parseMaildirName(current);
      const name = fileNameFor(parsed?.base ?? current, next, parsed?.otherFlags ?? '');
      await this.maildir.rename(current, name);
      this.put({ ...entry, flags: next, file: `cur/${name}` });
      await this.saveNow();
    });
  }

  /**
   * Deletes the local copy only. The UIDL is remembered so a check with leave-on-server does not
   * download it again while the server still has it.
   */
  remove(uidl: string): Promise<void> {
    return this.serialized(async () => {
      const entry = this.require(uidl);
      await this.maildir.unlink(path.basename(entry.file));
      this.entries.delete(uidl);
      this.changedEntries.add(uidl);
      this.sorted = undefined;
      if (!entry.deletedFromServer) {
        this.removed.set(uidl, { uidl, receivedAt: entry.receivedAt });
        this.changedTombs.add(uidl);
      }
      await this.saveNow();
    });
  }

  // ---- for the check engine ------------------------------------------------------------------

  /**
   * Stores a downloaded message durably (tmp/, fsync, rename into cur/, fsync cur/) and adds it
   * to the in-memory index. The index file is written by `flush()`; until then the file name
   * alone is enough to recover the entry. Safe to call concurrently for different UIDLs.
   * `syncDirectory: false` leaves the fsync of cur/ to the caller (`maildir.syncCur()`), which
   * must come before anything relies on the copy (a DELE).
   */
  async store(
    uidl: string,
    bytes: Buffer,
    options: { now: Date; partialOfSize?: number; flags?: LocalFlags; syncDirectory?: boolean },
  ): Promise<CachedPop3Message> {
    if (this.entries.has(uidl)) throw new MailError('StorageFailed', 'This message is already cached.', { detail: uidl });
    const flags = options.flags ?? { seen: false, flagged: false, answered: false };
    const base = newBaseName(uidl, options.partialOfSize, options.now);
    const name = fileNameFor(base, flags);
    const delivered = this.maildir.deliver(base, name, bytes, { syncDirectory: options.syncDirectory ?? true });
    // The header fields are read while the disk works; the entry is added once the file is there.
    let fields: ReturnType<typeof parseHeaderFields>;
    try {
      fields = parseHeaderFields(bytes.subarray(0, Math.min(bytes.length, headerBlockLength(bytes), MAX_HEADER_BYTES)));
    } finally {
      await delivered;
    }
    const entry: CachedPop3Message = {
      uidl,
      size: options.partialOfSize ?? bytes.length,
      receivedAt: options.now.toISOString(),
      file: `cur/${name}`,
      partial: options.partialOfSize !== undefined,
      flags,
      ...fields,
      deletedFromServer: false,
    };
    this.put(entry);
    return copy(entry);
  }

  /**
   * Replaces a headers-only copy by the whole message: the full file is delivered durably under a
   * new name first, then the partial file is removed, so at every moment one complete file for
   * the UIDL exists (reconcile prefers the full one if a crash leaves both).
   */
  replaceWithFull(uidl: string, bytes: Buffer, now: Date): Promise<CachedPop3Message> {
    return this.serialized(async () => {
      const entry = this.require(uidl);
      const oldName = path.basename(entry.file);
      const parsed = parseMaildirName(oldName);
      const base = newBaseName(uidl, undefined, now);
      const name = fileNameFor(base, entry.flags, parsed?.otherFlags ?? '');
      await this.maildir.deliver(base, name, bytes);
      const next: CachedPop3Message = {
        ...entry,
        ...parseHeaderFields(bytes.subarray(0, Math.min(bytes.length, headerBlockLength(bytes), MAX_HEADER_BYTES))),
        size: bytes.length,
        partial: false,
        file: `cur/${name}`,
      };
      this.put(next);
      await this.saveNow();
      await this.maildir.unlink(oldName);
      return copy(next);
    });
  }

  /** Records that these messages are gone from the server (DELE committed, or not listed any more). */
  markDeletedFromServer(uidls: Iterable<string>): void {
    for (const uidl of uidls) {
      const entry = this.entries.get(uidl);
      if (entry && !entry.deletedFromServer) this.put({ ...entry, deletedFromServer: true });
      if (this.removed.delete(uidl)) this.changedTombs.add(uidl);
    }
  }

  /**
   * Writes the index if anything changed since the last write. `durable: false` skips the fsync
   * of a journal append: right for what a check adds (new messages and "deleted from the server"
   * marks are rebuilt from the Maildir and the next check if a crash loses the append); local
   * flag changes and removals always save durably.
   */
  flush(options: { durable?: boolean } = {}): Promise<void> {
    return this.serialized(() => this.saveNow(options.durable ?? true));
  }

  /**
   * Re-reads the index and the Maildir if another process (another VS Code window) changed them
   * since this instance last looked; cheap (two stats) when nothing changed. Returns the
   * warnings of the reconcile, if one ran.
   */
  reload(): Promise<string[]> {
    return this.serialized(async () => {
      if ((await this.diskStamp()) === this.stamp) return [];
      await this.loadNow();
      return [...this.lastWarnings];
    });
  }

  // ---- internals -----------------------------------------------------------------------------

  private put(entry: CachedPop3Message): void {
    this.entries.set(entry.uidl, entry);
    this.changedEntries.add(entry.uidl);
    this.sorted = undefined;
  }

  private require(uidl: string): CachedPop3Message {
    const entry = this.entries.get(uidl);
    if (!entry) throw new MailError('MessageNotFound', 'This message is no longer in the local POP3 cache.', { detail: uidl });
    return entry;
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<void> {
    await this.serialized(() => this.loadNow());
  }

  private async diskStamp(): Promise<string> {
    return `${await this.index.stamp()}:${await this.maildir.curStamp()}`;
  }

  private async saveNow(durable = true): Promise<void> {
    if (!this.snapshotNeeded && !this.changedEntries.size && !this.changedTombs.size) return;
    const changes: JournalLine[] = [];
    for (const uidl of this.changedEntries) {
      const entry = this.entries.get(uidl);
      changes.push(entry ? { put: entry } : { del: uidl });
    }
    for (const uidl of this.changedTombs) {
      const tomb = this.removed.get(uidl);
      changes.push(tomb ? { tomb } : { untomb: uidl });
    }
    const forced = this.snapshotNeeded;
    this.changedEntries = new Set();
    this.changedTombs = new Set();
    this.snapshotNeeded = false;
    try {
      await this.index.save({ messages: this.entries, removed: this.removed }, changes, { forceSnapshot: forced, durable });
    } catch (e) {
      // keep the changes pending: the next save writes them again
      for (const c of changes) {
        if ('put' in c) this.changedEntries.add(c.put.uidl);
        else if ('del' in c) this.changedEntries.add(c.del);
        else if ('tomb' in c) this.changedTombs.add(c.tomb.uidl);
        else this.changedTombs.add(c.untomb);
      }
      this.snapshotNeeded ||= forced;
      throw e;
    }
    this.stamp = await this.diskStamp();
  }

  /** Reads the index and reconciles it with `cur/`, `new/` and `tmp/`. */
  private async loadNow(): Promise<void> {
    const warnings: string[] = [];
    await this.maildir.create();
    const leftovers = await this.maildir.cleanTmp(TMP_LEFTOVER_MAX_AGE_MS, Date.now());
    if (leftovers.length) this.log.info(`removed ${leftovers.length} unfinished download(s) from ${this.maildir.tmp}`);
    const adopted = await this.maildir.adoptNew();
    if (adopted.length) this.log.info(`took ${adopted.length} message(s) from ${this.maildir.new} into cur/`);

    const read = await this.index.read();
    if (!read.ok && read.problem === 'corrupt') warnings.push(`The POP3 index of ${this.accountId} was corrupt and has been rebuilt from the mail folder.`);
    if (!read.ok && read.problem === 'unknown-format') warnings.push(`The POP3 index of ${this.accountId} has an unknown format and has been rebuilt from the mail folder.`);
    const indexed = read.ok ? read.content.messages : new Map<string, CachedPop3Message>();
    let changed = !read.ok;

    const files = new Map<string, Array<{ name: string; parsed: MaildirName }>>();
    for (const name of await this.maildir.listCur()) {
      const parsed = parseMaildirName(name);
      if (!parsed) continue;
      const uidl = parsed.uidl ?? `local:${parsed.base}`;
      const group = files.get(uidl);
      if (group) group.push({ name, parsed });
      else files.set(uidl, [{ name, parsed }]);
    }

    const entries = new Map<string, CachedPop3Message>();
    for (const [uidl, group] of files) {
      const known = indexed.get(uidl);
      const chosen = await this.chooseFile(uidl, group, known, warnings);
      const file = `cur/${chosen.name}`;
      if (known && known.partial === chosen.parsed.partial) {
        if (known.file !== file) changed = true;
        entries.set(uidl, { ...known, file, flags: chosen.parsed.flags });
      } else {
        entries.set(uidl, await this.indexFromBytes(uidl, chosen.name, chosen.parsed, known));
        changed = true;
      }
    }
    for (const uidl of indexed.keys()) {
      if (!entries.has(uidl)) {
        warnings.push(`The cached message ${describe(indexed.get(uidl))} had no file in the mail folder any more; dropped it from the list.`);
        changed = true;
      }
    }
    const removed = new Map<string, RemovedMessage>();
    for (const r of read.ok ? read.content.removed.values() : []) if (!entries.has(r.uidl)) removed.set(r.uidl, r);

    this.entries = entries;
    this.removed = removed;
    this.sorted = undefined;
    this.lastWarnings = warnings;
    for (const w of warnings) this.log.warn(w);
    this.changedEntries = new Set();
    this.changedTombs = new Set();
    this.snapshotNeeded = changed;
    if (changed) await this.saveNow();
    else this.stamp = await this.diskStamp();
  }

  /**
   * One file per UIDL. Duplicates come from a crash while a headers-only copy was being replaced
   * (the partial one goes) or from another tool; a second full copy is left on disk but ignored.
   */
  private async chooseFile(
    uidl: string,
    group: Array<{ name: string; parsed: MaildirName }>,
    known: CachedPop3Message | undefined,
    warnings: string[],
  ): Promise<{ name: string; parsed: MaildirName }> {
    if (group.length === 1) return group[0];
    const full = group.filter((g) => !g.parsed.partial);
    const candidates = full.length ? full : group;
    const chosen = candidates.find((g) => known?.file === `cur/${g.name}`) ?? candidates[0];
    for (const other of group) {
      if (other === chosen) continue;
      if (other.parsed.partial && !chosen.parsed.partial) {
        await this.maildir.unlink(other.name);
      } else {
        warnings.push(`Two cached files hold the message with UIDL ${uidl}; using ${chosen.name} and ignoring ${other.name}.`);
      }
    }
    return chosen;
  }

  private async indexFromBytes(uidl: string, name: string, parsed: MaildirName, known: CachedPop3Message | undefined): Promise<CachedPop3Message> {
    const head = await this.maildir.readHead(name, MAX_HEADER_BYTES);
    const stat = await fs.stat(path.join(this.maildir.cur, name));
    return {
      uidl,
      size: parsed.partial ? (parsed.serverSize ?? stat.size) : stat.size,
      receivedAt: known?.receivedAt ?? new Date((parsed.seconds || Math.floor(stat.mtimeMs / 1000)) * 1000).toISOString(),
      file: `cur/${name}`,
      partial: parsed.partial,
      flags: parsed.flags,
      ...parseHeaderFields(head),
      deletedFromServer: known?.deletedFromServer ?? false,
    };
  }
}

function pickFlags(flags: Partial<LocalFlags>): Partial<LocalFlags> {
  const out: Partial<LocalFlags> = {};
  if (typeof flags.seen === 'boolean') out.seen = flags.seen;
  if (typeof flags.flagged === 'boolean') out.flagged = flags.flagged;
  if (typeof flags.answered === 'boolean') out.answered = flags.answered;
  return out;
}

function copy(entry: CachedPop3Message): CachedPop3Message {
  return { ...entry, flags: { ...entry.flags }, ...(entry.from ? { from: { ...entry.from } } : {}) };
}

function describe(entry: CachedPop3Message | undefined): string {
  if (!entry) return '(unknown)';
  return entry.subject ? `"${entry.subject}"` : `with UIDL ${entry.uidl}`;
}

function sortNewestFirst(entries: Iterable<CachedPop3Message>): CachedPop3Message[] {
  const keyed = [...entries].map((e) => {
    const t = Date.parse(e.date ?? e.receivedAt);
    return { e, t: Number.isNaN(t) ? 0 : t };
  });
  keyed.sort((a, b) => b.t - a.t || compare(b.e.receivedAt, a.e.receivedAt) || compare(a.e.uidl, b.e.uidl));
  return keyed.map((k) => k.e);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

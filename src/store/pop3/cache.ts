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
import { CorruptFileError, readJsonOrUndefined, writeFileAtomic } from '../atomicFile';
import { headerBlockLength, parseHeaderFields } from './headers';
import { MAX_HEADER_BYTES, TMP_LEFTOVER_MAX_AGE_MS } from './limits';
import { fileNameFor, Maildir, MaildirName, newBaseName, parseMaildirName } from './maildir';
import { CachedPop3Message, LocalFlags } from './types';

const INDEX_VERSION = 1;
const INDEX_FILE = 'pop3-index.json';

interface IndexFile {
  version: number;
  messages: CachedPop3Message[];
  /** Messages removed locally but maybe still on the server: never downloaded again. */
  removed: RemovedMessage[];
}

export interface RemovedMessage {
  uidl: string;
  /** When the message had been downloaded (the age policies count from here). */
  receivedAt: string;
}

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
  private removed = new Map<string, RemovedMessage>();
  private sorted: CachedPop3Message[] | undefined;
  private dirty = false;
  private stamp = '';
  private queue: Promise<unknown> = Promise.resolve();
  private lastWarnings: string[] = [];
  readonly maildir: Maildir;
  private readonly indexPath: string;

  private constructor(
    readonly dir: string,
    readonly accountId: string,
    private readonly log: ProtocolLog,
  ) {
    this.maildir = new Maildir(path.join(dir, 'Maildir'));
    this.indexPath = path.join(dir, INDEX_FILE);
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

  /** UIDLs of cached messages not known to be deleted from the server. */
  uidlsOnServer(): string[] {
    const out: string[] = [];
    for (const e of this.entries.values()) if (!e.deletedFromServer) out.push(e.uidl);
    return out;
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
      this.entries.set(uidl, { ...entry, flags: next, file: `cur/${name}` });
      this.sorted = undefined;
      this.dirty = true;
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
      if (!entry.deletedFromServer) this.removed.set(uidl, { uidl, receivedAt: entry.receivedAt });
      this.sorted = undefined;
      this.dirty = true;
      await this.saveNow();
    });
  }

  // ---- for the check engine ------------------------------------------------------------------

  /**
   * Stores a downloaded message durably (tmp/, fsync, rename into cur/, fsync cur/) and adds it
   * to the in-memory index. The index file is written by `flush()`; until then the file name
   * alone is enough to recover the entry. Safe to call concurrently for different UIDLs.
   */
  async store(uidl: string, bytes: Buffer, options: { now: Date; partialOfSize?: number; flags?: LocalFlags }): Promise<CachedPop3Message> {
    if (this.entries.has(uidl)) throw new MailError('StorageFailed', 'This message is already cached.', { detail: uidl });
    const flags = options.flags ?? { seen: false, flagged: false, answered: false };
    const base = newBaseName(uidl, options.partialOfSize, options.now);
    const name = fileNameFor(base, flags);
    await this.maildir.deliver(base, name, bytes);
    const entry: CachedPop3Message = {
      uidl,
      size: options.partialOfSize ?? bytes.length,
      receivedAt: options.now.toISOString(),
      file: `cur/${name}`,
      partial: options.partialOfSize !== undefined,
      flags,
      ...parseHeaderFields(bytes.subarray(0, Math.min(bytes.length, headerBlockLength(bytes), MAX_HEADER_BYTES))),
      deletedFromServer: false,
    };
    this.entries.set(uidl, entry);
    this.sorted = undefined;
    this.dirty = true;
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
      this.entries.set(uidl, next);
      this.sorted = undefined;
      this.dirty = true;
      await this.saveNow();
      await this.maildir.unlink(oldName);
      return copy(next);
    });
  }

  /** Records that these messages are gone from the server (DELE committed, or not listed any more). */
  markDeletedFromServer(uidls: Iterable<string>): void {
    for (const uidl of uidls) {
      const entry = this.entries.get(uidl);
      if (entry && !entry.deletedFromServer) {
        this.entries.set(uidl, { ...entry, deletedFromServer: true });
        this.dirty = true;
      }
      if (this.removed.delete(uidl)) this.dirty = true;
    }
  }

  /** Writes the index if anything changed since the last write. */
  flush(): Promise<void> {
    return this.serialized(() => this.saveNow());
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
    const index = await fs.stat(this.indexPath).catch(() => undefined);
    return `${index?.mtimeMs ?? 0}:${index?.size ?? 0}:${await this.maildir.curStamp()}`;
  }

  private async saveNow(): Promise<void> {
    if (!this.dirty) return;
    const file: IndexFile = { version: INDEX_VERSION, messages: [...this.entries.values()], removed: [...this.removed.values()] };
    this.dirty = false;
    try {
      await writeFileAtomic(this.indexPath, JSON.stringify(file));
    } catch (e) {
      this.dirty = true;
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

    let index: IndexFile | undefined;
    try {
      index = await readJsonOrUndefined<IndexFile>(this.indexPath);
    } catch (e) {
      if (!(e instanceof CorruptFileError)) throw e;
      warnings.push(`The POP3 index of ${this.accountId} was corrupt and has been rebuilt from the mail folder.`);
    }
    if (index && (index.version !== INDEX_VERSION || !Array.isArray(index.messages))) {
      warnings.push(`The POP3 index of ${this.accountId} has an unknown format and has been rebuilt from the mail folder.`);
      index = undefined;
    }
    const indexed = new Map<string, CachedPop3Message>();
    for (const m of index?.messages ?? []) if (isEntry(m)) indexed.set(m.uidl, m);
    let changed = index === undefined;

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
    for (const r of index?.removed ?? []) {
      if (r && typeof r.uidl === 'string' && !entries.has(r.uidl)) removed.set(r.uidl, { uidl: r.uidl, receivedAt: String(r.receivedAt) });
    }

    this.entries = entries;
    this.removed = removed;
    this.sorted = undefined;
    this.lastWarnings = warnings;
    for (const w of warnings) this.log.warn(w);
    this.dirty = changed;
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

function isEntry(value: unknown): value is CachedPop3Message {
  const v = value as CachedPop3Message;
  return (
    typeof v === 'object' && v !== null && typeof v.uidl === 'string' && typeof v.file === 'string' &&
    typeof v.size === 'number' && typeof v.receivedAt === 'string' && typeof v.flags === 'object' && v.flags !== null
  );
}

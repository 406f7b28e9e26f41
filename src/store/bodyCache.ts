/**
 * Raw message bytes on disk, bounded: at most `maxBytes` in total, least recently used evicted
 * first. One file per message (named by a hash of account, folder, UIDVALIDITY and UID) plus an
 * index file with sizes and last use, written atomically; a message is only listed in the index
 * after its file is complete, and files the index does not list are removed on load.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ProtocolLog } from '../protocol/log';
import { Emitter } from '../util/event';
import { readFileOrUndefined, readJsonOrUndefined, removeStaleTempFiles, writeFileAtomic } from './atomicFile';

const FORMAT_VERSION = 1;
const INDEX_FILE = 'index.json';
/** Last-use times are written back at most this often when only reads happened. */
const TOUCH_WRITE_DELAY_MS = 5000;

export interface BodyCacheOptions {
  dir: string;
  /** Upper bound for the sum of cached message sizes (setting mailroom.bodyCacheMB). */
  maxBytes: number;
  log?: ProtocolLog;
}

interface Entry {
  accountId: string;
  path: string;
  uidValidity: string;
  uid: number;
  size: number;
  /** Monotonic use counter: higher = used more recently. */
  used: number;
}

interface IndexFile {
  v: number;
  clock: number;
  entries: Array<[string, string, string, number, number, number]>;
}

export class BodyCache {
  private entries = new Map<string, Entry>();
  private total = 0;
  private clock = 0;
  private loading: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private touchTimer: NodeJS.Timeout | undefined;
  private readonly _onDidChange = new Emitter<{ accountId: string; path: string }>();
  /** A body was stored, evicted or dropped in this folder (local search follows). */
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly options: BodyCacheOptions) {}

  /** The bodies cached for an account. */
  async cachedIn(accountId: string): Promise<Array<{ path: string; uidValidity: string; uid: number }>> {
    await this.load();
    return [...this.entries.values()].filter((e) => e.accountId === accountId).map((e) => ({ path: e.path, uidValidity: e.uidValidity, uid: e.uid }));
  }

  /** Like get(), without counting as a use (the search index reads bodies this way). */
  async peek(accountId: string, folderPath: string, uidValidity: string, uid: number): Promise<Buffer | undefined> {
    await this.load();
    const key = entryKey(accountId, folderPath, uidValidity, uid);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const bytes = await readFileOrUndefined(this.file(key)).catch(() => undefined);
    return bytes && bytes.length === entry.size ? bytes : undefined;
  }

  /** Bytes currently cached. */
  async size(): Promise<number> {
    await this.load();
    return this.total;
  }

  async get(accountId: string, folderPath: string, uidValidity: string, uid: number): Promise<Buffer | undefined> {
    await this.load();
    const key = entryKey(accountId, folderPath, uidValidity, uid);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const bytes = await readFileOrUndefined(this.file(key)).catch(() => undefined);
    if (!bytes || bytes.length !== entry.size) {
      this.options.log?.warn(`body cache entry for UID ${uid} in "${folderPath}" was missing or damaged; dropped`);
      await this.delete([key]);
      return undefined;
    }
    entry.used = ++this.clock;
    this.scheduleTouchWrite();
    return bytes;
  }

  async put(accountId: string, folderPath: string, uidValidity: string, uid: number, bytes: Buffer): Promise<void> {
    await this.load();
    if (bytes.length > this.options.maxBytes) return;
    const key = entryKey(accountId, folderPath, uidValidity, uid);
    await writeFileAtomic(this.file(key), bytes);
    const previous = this.entries.get(key);
    if (previous) this.total -= previous.size;
    this.entries.set(key, { accountId, path: folderPath, uidValidity, uid, size: bytes.length, used: ++this.clock });
    this.total += bytes.length;
    const evict = this.lruBeyondLimit(key);
    if (evict.length) await this.delete(evict, false);
    await this.writeIndex();
    await Promise.all(evict.map((k) => fs.rm(this.file(k), { force: true })));
    this._onDidChange.fire({ accountId, path: folderPath });
  }

  /** Drops one folder's bodies; with `uidValidity`, only those of that UIDVALIDITY. */
  async dropFolder(accountId: string, folderPath: string, uidValidity?: string): Promise<void> {
    await this.load();
    await this.delete(this.keysWhere((e) => e.accountId === accountId && e.path === folderPath && (uidValidity === undefined || e.uidValidity === uidValidity)));
  }

  async dropAccount(accountId: string): Promise<void> {
    await this.load();
    await this.delete(this.keysWhere((e) => e.accountId === accountId));
  }

  /** Writes pending last-use times now (e.g. on deactivate). */
  async flush(): Promise<void> {
    if (this.touchTimer) {
      clearTimeout(this.touchTimer);
      this.touchTimer = undefined;
      await this.writeIndex();
    }
    await this.writing;
  }

  private keysWhere(match: (e: Entry) => boolean): string[] {
    return [...this.entries].filter(([, e]) => match(e)).map(([k]) => k);
  }

  private lruBeyondLimit(keep: string): string[] {
    if (this.total <= this.options.maxBytes) return [];
    const byAge = [...this.entries].filter(([k]) => k !== keep).sort((a, b) => a[1].used - b[1].used);
    const out: string[] = [];
    let total = this.total;
    for (const [k, e] of byAge) {
      if (total <= this.options.maxBytes) break;
      total -= e.size;
      out.push(k);
    }
    return out;
  }

  private async delete(keys: string[], removeFiles = true): Promise<void> {
    if (!keys.length) return;
    const changed = new Map<string, { accountId: string; path: string }>();
    for (const k of keys) {
      const e = this.entries.get(k);
      if (!e) continue;
      this.total -= e.size;
      this.entries.delete(k);
      changed.set(`${e.accountId}\u0000${e.path}`, { accountId: e.accountId, path: e.path });
    }
    for (const c of changed.values()) this._onDidChange.fire(c);
    if (!removeFiles) return;
    // Index first: a crash in between leaves orphan files (removed on load), never an index
    // entry pointing at a missing file.
    await this.writeIndex();
    await Promise.all(keys.map((k) => fs.rm(this.file(k), { force: true })));
  }

  private scheduleTouchWrite(): void {
    if (this.touchTimer) return;
    this.touchTimer = setTimeout(() => {
      this.touchTimer = undefined;
      this.writeIndex().catch((err: unknown) => this.options.log?.warn(`body cache index not written: ${String(err)}`));
    }, TOUCH_WRITE_DELAY_MS);
    this.touchTimer.unref();
  }

  private writeIndex(): Promise<void> {
    const run = this.writing.then(() => {
      const data: IndexFile = { v: FORMAT_VERSION, clock: this.clock, entries: [...this.entries].map(([, e]) => [e.accountId, e.path, e.uidValidity, e.uid, e.size, e.used]) };
      return writeFileAtomic(path.join(this.options.dir, INDEX_FILE), JSON.stringify(data));
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  private file(key: string): string {
    return path.join(this.options.dir, `${key}.eml`);
  }

  private load(): Promise<void> {
    this.loading ??= this.readIndex();
    return this.loading;
  }

  private async readIndex(): Promise<void> {
    const dir = this.options.dir;
    await fs.mkdir(dir, { recursive: true });
    await removeStaleTempFiles(dir);
    try {
      const raw = await readJsonOrUndefined<IndexFile>(path.join(dir, INDEX_FILE));
      if (raw !== undefined) this.adopt(raw);
    } catch (err) {
      this.options.log?.warn(`body cache index dropped (${err instanceof Error ? err.message : String(err)}); cached bodies will be fetched again`);
      this.entries.clear();
      this.total = 0;
    }
    // Files not in the index: a put that crashed before the index write, or a dropped index.
    const names = await fs.readdir(dir);
    await Promise.all(names.filter((n) => n.endsWith('.eml') && !this.entries.has(n.slice(0, -4))).map((n) => fs.rm(path.join(dir, n), { force: true })));
    const evict = this.lruBeyondLimit('');
    if (evict.length) await this.delete(evict);
  }

  private adopt(raw: IndexFile): void {
    if (raw?.v !== FORMAT_VERSION || !Array.isArray(raw.entries) || !Number.isSafeInteger(raw.clock)) throw new Error('unknown index format');
    for (const item of raw.entries) {
      if (!Array.isArray(item) || item.length !== 6) throw new Error('bad index entry');
      const [accountId, folderPath, uidValidity, uid, size, used] = item;
      if (typeof accountId !== 'string' || typeof folderPath !== 'string' || typeof uidValidity !== 'string' || !Number.isSafeInteger(uid) || !Number.isSafeInteger(size) || size < 0 || !Number.isSafeInteger(used)) {
        throw new Error('bad index entry');
      }
      const key = entryKey(accountId, folderPath, uidValidity, uid);
      this.entries.set(key, { accountId, path: folderPath, uidValidity, uid, size, used });
      this.total += size;
    }
    this.clock = raw.clock;
    for (const e of this.entries.values()) if (e.used > this.clock) this.clock = e.used;
  }
}

function entryKey(accountId: string, folderPath: string, uidValidity: string, uid: number): string {
  return createHash('sha256').update(`${accountId}\u0000${folderPath}\u0000${uidValidity}\u0000${uid}`, 'utf8').digest('hex').slice(0, 40);
}

/**
 * The header cache on disk: one directory per account, an index of its folders (index.json), and
 * per folder a snapshot and a journal of the changes since (headerCache/folderFiles.ts), so a
 * flag change or a new message appends a record instead of rewriting the folder. In memory a
 * folder is a FolderTable (headerCache/folderTable.ts): parallel columns, interned values.
 * A file that is corrupt or of an unknown version is dropped with a log line, never a crash; the
 * next sync fetches the folder again. Older versions load and are written again in the current
 * one (headerCache/snapshot.ts): version 1 files (before In-Reply-To and References were kept)
 * mark their messages as lacking those headers, and the next sync fetches them (needsThreadHeaders()).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { FolderCache, HeaderCacheStore } from '../protocol/imap/cacheContract';
import type { ProtocolLog } from '../protocol/log';
import { Emitter } from '../util/event';
import { readJsonOrUndefined, removeStaleTempFiles, writeFileAtomic } from './atomicFile';
import { type FolderFilePaths, FolderFiles } from './headerCache/folderFiles';
import { FolderTable } from './headerCache/folderTable';

/** The account index's own version (unchanged by the folder file's). */
const INDEX_VERSION = 1;

export interface HeaderCacheOptions {
  /** E.g. globalStorageUri.fsPath + '/imap'. */
  dir: string;
  log: ProtocolLog;
}

interface AccountIndex {
  v: number;
  /** Folder path → file name. */
  folders: Record<string, string>;
}

/** HeaderCacheStore over a directory; see the file comment. */
export class HeaderCache implements HeaderCacheStore {
  private readonly folders = new Map<string, Promise<FolderTable>>();
  private readonly indexes = new Map<string, Promise<AccountIndex>>();
  private indexWrites = new Map<string, Promise<void>>();
  private readonly _onDidChange = new Emitter<{ accountId: string; path?: string }>();
  /** A folder was written or dropped (no path: the whole account); local search follows. */
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly options: HeaderCacheOptions) {}

  folder(accountId: string, folderPath: string): Promise<FolderCache> {
    return this.table(accountId, folderPath);
  }

  /** The concrete table (adds `maxUid()`); same instance as `folder()`. */
  table(accountId: string, folderPath: string): Promise<FolderTable> {
    const key = folderKey(accountId, folderPath);
    let loading = this.folders.get(key);
    if (!loading) {
      loading = this.loadTable(accountId, folderPath);
      this.folders.set(key, loading);
      loading.catch(() => this.folders.delete(key));
    }
    return loading;
  }

  async dropFolder(accountId: string, folderPath: string): Promise<void> {
    const key = folderKey(accountId, folderPath);
    const loaded = this.folders.get(key);
    this.folders.delete(key);
    const table = await loaded?.catch(() => undefined);
    if (table) table.detached = true;
    const files = this.folderPaths(accountId, folderPath);
    await fs.rm(files.snapshot, { force: true });
    await fs.rm(files.journal, { force: true });
    await this.updateIndex(accountId, (index) => void delete index.folders[folderPath]);
    this._onDidChange.fire({ accountId, path: folderPath });
  }

  /** Renames `from` (and, given the hierarchy delimiter, every folder below it) to `to`. */
  async renameFolder(accountId: string, from: string, to: string, delimiter?: string): Promise<void> {
    const index = await this.index(accountId);
    const moves = Object.keys(index.folders)
      .filter((p) => p === from || (delimiter !== undefined && p.startsWith(from + delimiter)))
      .map((p) => [p, to + p.slice(from.length)] as const);
    if (!moves.some(([p]) => p === from)) moves.push([from, to]);
    for (const [oldPath, newPath] of moves) {
      await this.dropFolder(accountId, newPath);
      const oldKey = folderKey(accountId, oldPath);
      const loaded = this.folders.get(oldKey);
      this.folders.delete(oldKey);
      const table = await loaded?.catch(() => undefined);
      const [was, will] = [this.folderPaths(accountId, oldPath), this.folderPaths(accountId, newPath)];
      for (const kind of ['snapshot', 'journal'] as const) {
        try {
          await fs.rename(was[kind], will[kind]);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      if (table) {
        table.rename(newPath);
        this.folders.set(folderKey(accountId, newPath), Promise.resolve(table));
      }
      await this.updateIndex(accountId, (i) => {
        if (i.folders[oldPath] === undefined) return;
        delete i.folders[oldPath];
        i.folders[newPath] = fileName(newPath);
      });
      // The snapshot still names the old path inside; the renamed table writes a new one.
      if (table) await table.flush();
    }
  }

  async dropAccount(accountId: string): Promise<void> {
    for (const [key, loaded] of [...this.folders]) {
      if (!key.startsWith(`${accountId}\u0000`)) continue;
      this.folders.delete(key);
      const table = await loaded.catch(() => undefined);
      if (table) table.detached = true;
    }
    await (this.indexWrites.get(accountId) ?? Promise.resolve());
    this.indexes.delete(accountId);
    await fs.rm(this.accountDir(accountId), { recursive: true, force: true });
    this._onDidChange.fire({ accountId });
  }

  async knownFolders(accountId: string): Promise<string[]> {
    return Object.keys((await this.index(accountId)).folders).sort();
  }

  async flushAll(): Promise<void> {
    const tables = await Promise.all([...this.folders.values()].map((p) => p.catch(() => undefined)));
    await Promise.all(tables.map((t) => t?.flush()));
  }

  // --- files ------------------------------------------------------------------------------

  private accountDir(accountId: string): string {
    return path.join(this.options.dir, Buffer.from(accountId, 'utf8').toString('base64url') || '_');
  }

  private folderPaths(accountId: string, folderPath: string): FolderFilePaths {
    const base = path.join(this.accountDir(accountId), fileName(folderPath));
    return { snapshot: base, journal: base.replace(/\.json$/, '.journal') };
  }

  private async loadTable(accountId: string, folderPath: string): Promise<FolderTable> {
    await this.index(accountId);
    let table: FolderTable | undefined;
    const paths = (): FolderFilePaths => this.folderPaths(accountId, table?.path ?? folderPath);
    let files = new FolderFiles(paths, this.options.log);
    const save = async (t: FolderTable, changes: string[] | undefined): Promise<void> => {
      if (t.detached) return;
      const current = t.path;
      const wrote = await files.save(t, changes);
      if (!wrote) return;
      await this.updateIndex(accountId, (index) => {
        if (index.folders[current] === fileName(current)) return false;
        index.folders[current] = fileName(current);
      });
      this._onDidChange.fire({ accountId, path: current });
    };
    table = new FolderTable(folderPath, save);
    try {
      const named = await files.load(table, folderPath);
      if (named !== undefined && named !== folderPath) table.rename(folderPath);
      return table;
    } catch (err) {
      this.options.log.warn(`header cache for "${folderPath}" dropped (${err instanceof Error ? err.message : String(err)}); it will be synced again`);
      const dropped = this.folderPaths(accountId, folderPath);
      await fs.rm(dropped.snapshot, { force: true }).catch(() => undefined);
      await fs.rm(dropped.journal, { force: true }).catch(() => undefined);
      files = new FolderFiles(paths, this.options.log);
      table = new FolderTable(folderPath, save);
      return table;
    }
  }

  private index(accountId: string): Promise<AccountIndex> {
    let loading = this.indexes.get(accountId);
    if (!loading) {
      loading = this.readIndex(accountId);
      this.indexes.set(accountId, loading);
    }
    return loading;
  }

  private async readIndex(accountId: string): Promise<AccountIndex> {
    const dir = this.accountDir(accountId);
    await removeStaleTempFiles(dir);
    const file = path.join(dir, 'index.json');
    try {
      const raw = await readJsonOrUndefined<AccountIndex>(file);
      if (raw === undefined) return { v: INDEX_VERSION, folders: {} };
      if (raw?.v !== INDEX_VERSION || typeof raw.folders !== 'object' || raw.folders === null) throw new Error('unknown index format');
      const folders: Record<string, string> = {};
      for (const [p, f] of Object.entries(raw.folders)) if (typeof f === 'string' && f === fileName(p)) folders[p] = f;
      return { v: INDEX_VERSION, folders };
    } catch (err) {
      this.options.log.warn(`header cache index of account ${accountId} dropped (${err instanceof Error ? err.message : String(err)})`);
      await fs.rm(file, { force: true }).catch(() => undefined);
      return { v: INDEX_VERSION, folders: {} };
    }
  }

  /** Applies `change` to the index and writes it; `change` returns false for "nothing to do". */
  private updateIndex(accountId: string, change: (index: AccountIndex) => boolean | void): Promise<void> {
    const previous = this.indexWrites.get(accountId) ?? Promise.resolve();
    const run = previous.then(async () => {
      const index = await this.index(accountId);
      if (change(index) === false) return;
      await writeFileAtomic(path.join(this.accountDir(accountId), 'index.json'), JSON.stringify(index));
    });
    this.indexWrites.set(accountId, run.catch(() => undefined));
    return run;
  }
}

function folderKey(accountId: string, folderPath: string): string {
  return `${accountId}\u0000${folderPath}`;
}

/** Folder names may hold any character (and be long): the file is named by a hash. */
function fileName(folderPath: string): string {
  return `${createHash('sha256').update(folderPath, 'utf8').digest('hex').slice(0, 32)}.json`;
}

export type { FolderTable };

/** Same class, older name. */
export { HeaderCache as FileHeaderCache };

/**
 * The last folder list seen per account, so the tree can show folders while the server is
 * unreachable. One JSON file per account, replaced atomically.
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { FolderInfo } from '../protocol/imap/folders';
import type { ProtocolLog } from '../protocol/log';
import { readJsonOrUndefined, writeFileAtomic } from './atomicFile';

const VERSION = 1;

interface FolderListFile {
  version: number;
  savedAt: string;
  folders: FolderInfo[];
}

export class FolderListCache {
  constructor(private readonly dir: string, private readonly log: ProtocolLog) {}

  async load(accountId: string): Promise<FolderInfo[] | undefined> {
    const file = this.file(accountId);
    try {
      const data = await readJsonOrUndefined<FolderListFile>(file);
      if (!data) return undefined;
      if (data.version !== VERSION || !Array.isArray(data.folders)) {
        this.log.warn(`folder list cache ${path.basename(file)} has an unknown format; ignoring it`);
        return undefined;
      }
      return data.folders;
    } catch (err) {
      this.log.warn(`folder list cache ${path.basename(file)} unreadable (${err instanceof Error ? err.message : String(err)}); ignoring it`);
      return undefined;
    }
  }

  async save(accountId: string, folders: FolderInfo[]): Promise<void> {
    const data: FolderListFile = { version: VERSION, savedAt: new Date().toISOString(), folders };
    await writeFileAtomic(this.file(accountId), JSON.stringify(data));
  }

  async drop(accountId: string): Promise<void> {
    await fs.rm(this.file(accountId), { force: true });
  }

  private file(accountId: string): string {
    return path.join(this.dir, `${encodeURIComponent(accountId)}.folders.json`);
  }
}

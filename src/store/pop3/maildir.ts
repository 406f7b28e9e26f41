/**
 * Maildir layout and delivery for the POP3 cache, readable by other Maildir tools.
 *
 * A file name carries everything needed to rebuild the index if it is lost:
 *   `<secs>.M<usec>P<pid>R<rand>.<host>,U=<hex UIDL>[,H]:2,<flags>`
 * `secs` is when it was downloaded, `U=` the UIDL (hex, so any UIDL byte is safe in a name),
 * `H=<size on the server>` marks a headers-only copy, and the info flags are Maildir's (F flagged, R replied, S seen).
 * Delivery follows the Maildir rule: write to `tmp/`, fsync, rename into `cur/`, fsync `cur/`.
 */
import { randomBytes } from 'node:crypto';
import * as fsCallbacks from 'node:fs';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MailError } from '../../protocol/errors';
import { syncDirectory } from '../atomicFile';
import { LocalFlags } from './types';

/** Windows forbids ':' in file names; Maildir tools there use ';' (and we read both). */
export const INFO_SEPARATOR = process.platform === 'win32' ? ';' : ':';

export interface MaildirName {
  /** The name without the info part (`:2,…`): stable across flag changes. */
  base: string;
  /** Seconds since the epoch from the name; when the message was downloaded. */
  seconds: number;
  uidl: string | undefined;
  /** Headers-only copy; `serverSize` is then the whole message's size on the server. */
  partial: boolean;
  serverSize: number | undefined;
  flags: LocalFlags;
  /** Info flag letters we do not manage (D, P, T, lower-case keywords), kept as they were. */
  otherFlags: string;
}

let deliveries = 0;
const hostPart = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'localhost';
/** Random per process: with the pid and a counter, names stay unique across processes and restarts. */
const processNonce = randomBytes(4).toString('hex');

/** A unique base name for a new delivery (Maildir's time.M<usec>P<pid>… recipe plus randomness). */
export function newBaseName(uidl: string | undefined, partialOfSize: number | undefined, now: Date): string {
  const ms = now.getTime();
  const secs = Math.floor(ms / 1000);
  const usec = (ms % 1000) * 1000 + (deliveries % 1000);
  let base = `${secs}.M${usec}P${process.pid}R${processNonce}${(deliveries++).toString(36)}.${hostPart}`;
  if (uidl !== undefined) base += `,U=${Buffer.from(uidl, 'utf8').toString('hex')}`;
  if (partialOfSize !== undefined) base += `,H=${partialOfSize}`;
  return base;
}

export function fileNameFor(base: string, flags: LocalFlags, otherFlags = ''): string {
  const letters = new Set(otherFlags.split(''));
  if (flags.flagged) letters.add('F');
  if (flags.answered) letters.add('R');
  if (flags.seen) letters.add('S');
  return `${base}${INFO_SEPARATOR}2,${[...letters].sort().join('')}`;
}

/** Parses a `cur/` file name; undefined for names that are not Maildir messages (dot files). */
export function parseMaildirName(name: string): MaildirName | undefined {
  if (name.startsWith('.')) return undefined;
  const info = /[:;]2,([^:;]*)$/.exec(name);
  const base = info ? name.slice(0, info.index) : name;
  const letters = info ? info[1] : '';
  const parts = base.split(',');
  let uidl: string | undefined;
  let partial = false;
  let serverSize: number | undefined;
  for (const part of parts.slice(1)) {
    if (part.startsWith('U=') && /^[0-9a-f]*$/i.test(part.slice(2)) && part.length % 2 === 0) {
      uidl = Buffer.from(part.slice(2), 'hex').toString('utf8');
    } else if (/^H=\d+$/.test(part)) {
      partial = true;
      serverSize = Number(part.slice(2));
    }
  }
  const seconds = Number(/^(\d+)\./.exec(base)?.[1] ?? NaN);
  return {
    base,
    seconds: Number.isFinite(seconds) ? seconds : 0,
    uidl,
    partial,
    serverSize,
    flags: { seen: letters.includes('S'), flagged: letters.includes('F'), answered: letters.includes('R') },
    otherFlags: letters.replace(/[FRS]/g, ''),
  };
}

export class Maildir {
  readonly tmp: string;
  readonly cur: string;
  readonly new: string;

  constructor(readonly root: string) {
    this.tmp = path.join(root, 'tmp');
    this.cur = path.join(root, 'cur');
    this.new = path.join(root, 'new');
  }

  async create(): Promise<void> {
    await storage(`create the mail folder ${this.root}`, async () => {
      for (const dir of [this.tmp, this.new, this.cur]) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    });
  }

  /**
   * Writes `bytes` to `tmp/<base>`, fsyncs it, renames it to `cur/<name>` and fsyncs `cur/`.
   * Once this resolves the message survives a crash or power cut; before that, `cur/` never
   * holds a part of it. (fdatasync suffices for a new file: it flushes the data and the size;
   * concurrent deliveries share one fsync of `cur/`.) With `syncDirectory: false` the caller
   * calls `syncCur()` itself before relying on it (a batch of deliveries, then one fsync): until
   * then a power cut may undo the rename, leaving the complete file in `tmp/`.
   */
  async deliver(base: string, name: string, bytes: Buffer, options: { syncDirectory?: boolean } = {}): Promise<void> {
    const tmpFile = path.join(this.tmp, base);
    await storage('store a downloaded message', async () => {
      try {
        await writeDurably(tmpFile, bytes, path.join(this.cur, name));
      } catch (e) {
        await fs.rm(tmpFile, { force: true }).catch(() => undefined);
        throw e;
      }
      if (options.syncDirectory !== false) await this.syncCur();
    });
  }


  /** Renames a message in `cur/` (flag change) and makes the rename durable. */
  async rename(from: string, to: string): Promise<void> {
    if (from === to) return;
    await storage('update the message flags', async () => {
      await fs.rename(path.join(this.cur, from), path.join(this.cur, to));
      await this.syncCur();
    });
  }

  async unlink(name: string): Promise<void> {
    await storage('remove a cached message', async () => {
      await fs.rm(path.join(this.cur, name), { force: true });
      await this.syncCur();
    });
  }

  read(name: string): Promise<Buffer> {
    return storage('read a cached message', () => fs.readFile(path.join(this.cur, name)));
  }

  /** Reads at most `limit` bytes from the start of a message (enough for its header block). */
  async readHead(name: string, limit: number): Promise<Buffer> {
    return storage('read a cached message', async () => {
      const handle = await fs.open(path.join(this.cur, name), 'r');
      try {
        const buffer = Buffer.alloc(limit);
        const { bytesRead } = await handle.read(buffer, 0, limit, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    });
  }

  async listCur(): Promise<string[]> {
    return storage('list the cached messages', () => fs.readdir(this.cur));
  }

  /**
   * Moves messages another tool delivered to `new/` into `cur/` (Maildir readers do this when
   * they first see a message) and returns their new names.
   */
  async adoptNew(): Promise<string[]> {
    const names = await storage('list new messages', () => fs.readdir(this.new));
    const adopted: string[] = [];
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const target = /[:;]2,/.test(name) ? name : `${name}${INFO_SEPARATOR}2,`;
      await storage('adopt a new message', () => fs.rename(path.join(this.new, name), path.join(this.cur, target)));
      adopted.push(target);
    }
    if (adopted.length) await this.syncCur();
    return adopted;
  }

  /**
   * Deletes leftovers of interrupted deliveries in `tmp/`: those of processes that no longer run
   * (the pid is in the name) and any older than `maxAgeMs`. A live process's delivery in progress
   * is left alone. Returns the names removed.
   */
  async cleanTmp(maxAgeMs: number, now: number): Promise<string[]> {
    const names = await storage('list temporary files', () => fs.readdir(this.tmp));
    const removed: string[] = [];
    for (const name of names) {
      const file = path.join(this.tmp, name);
      const pid = Number(/\.M\d+P(\d+)R/.exec(name)?.[1] ?? NaN);
      let stale = !Number.isFinite(pid) || !processAlive(pid);
      if (!stale) {
        const stat = await fs.stat(file).catch(() => undefined);
        stale = stat !== undefined && now - stat.mtimeMs > maxAgeMs;
      }
      if (stale) {
        await fs.rm(file, { force: true, recursive: true }).catch(() => undefined);
        removed.push(name);
      }
    }
    return removed;
  }

  private curSync: Promise<void> | undefined;
  private curSyncQueued: Promise<void> | undefined;

  /**
   * Makes every rename into `cur/` done before this call durable. Callers arriving while an fsync
   * of `cur/` runs share the next one (their rename may have missed the running one): group commit.
   */
  syncCur(): Promise<void> {
    if (this.curSyncQueued) return this.curSyncQueued;
    if (!this.curSync) return this.beginCurSync();
    this.curSyncQueued = this.curSync.then(() => {
      this.curSyncQueued = undefined;
      return this.beginCurSync();
    });
    return this.curSyncQueued;
  }

  private beginCurSync(): Promise<void> {
    const running: Promise<void> = syncDirectory(this.cur).finally(() => {
      if (this.curSync === running) this.curSync = undefined;
    });
    this.curSync = running;
    return running;
  }

  /** Modification time of `cur/` (changes whenever a message is added, renamed or removed). */
  async curStamp(): Promise<number> {
    const stat = await fs.stat(this.cur).catch(() => undefined);
    return stat?.mtimeMs ?? 0;
  }
}

/**
 * Creates `file` (it must not exist), writes `bytes`, fdatasyncs it and, with `renameTo`, renames
 * it there once closed (the rename only after the data is on disk). Plain callbacks rather than
 * a FileHandle and fs.promises: one promise per message instead of five keeps the main thread
 * free while a thousand messages are written.
 */
export function writeDurably(file: string, bytes: Buffer, renameTo?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => (renameTo === undefined ? resolve() : fsCallbacks.rename(file, renameTo, (renameError) => (renameError ? reject(renameError) : resolve())));
    fsCallbacks.open(file, 'wx', 0o600, (openError, fd) => {
      if (openError) return reject(openError);
      const finish = (error: Error | null): void => fsCallbacks.close(fd, (closeError) => (error ?? closeError ? reject(error ?? closeError) : done()));
      const writeFrom = (offset: number): void => {
        if (offset >= bytes.length) return fsCallbacks.fdatasync(fd, finish);
        fsCallbacks.write(fd, bytes, offset, bytes.length - offset, null, (writeError, written) => (writeError ? finish(writeError) : writeFrom(offset + written)));
      };
      writeFrom(0);
    });
  });
}

/** True when a process with this pid exists on this machine (EPERM: exists, not ours). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function storage<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (MailError.is(e)) throw e;
    throw new MailError('StorageFailed', `Mailroom could not ${what}.`, {
      detail: e instanceof Error ? e.message : String(e),
      cause: e,
    });
  }
}

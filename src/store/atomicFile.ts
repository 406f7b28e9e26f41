/**
 * Crash-safe file writes for the on-disk caches and queues: write a temporary file next to the
 * target, fsync it, rename it over the target, fsync the directory. A reader therefore sees either
 * the old file or the new one, never half of the new one, even after a power cut.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MailError } from '../protocol/errors';
import { lazyNode } from '../util/lazyNode';

/** Atomically replaces `file` with `data`, creating parent directories as needed. */
export async function writeFileAtomic(file: string, data: Buffer | string): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${lazyNode.crypto().randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.mkdir(dir, { recursive: true });
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    await syncDirectory(dir);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new MailError('StorageFailed', `Could not write ${path.basename(file)}.`, {
      detail: e instanceof Error ? e.message : String(e),
      cause: e,
    });
  }
}

/** fsync on a directory makes renames in it durable; some platforms (Windows) refuse it: ignore. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported on this platform; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Reads a file; `undefined` when it does not exist. Other errors throw StorageFailed. */
export async function readFileOrUndefined(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MailError('StorageFailed', `Could not read ${path.basename(file)}.`, {
      detail: e instanceof Error ? e.message : String(e),
      cause: e,
    });
  }
}

/** Thrown by readJsonOrUndefined when the file exists but is not valid JSON. */
export class CorruptFileError extends MailError {
  constructor(readonly file: string, detail: string) {
    super('StorageFailed', `The file ${path.basename(file)} is corrupt.`, { detail });
  }
}

/**
 * Parses a JSON file; `undefined` when it does not exist. A file that is not valid JSON throws
 * CorruptFileError (a MailError 'StorageFailed') so the caller can drop it and log.
 */
export async function readJsonOrUndefined<T = unknown>(file: string): Promise<T | undefined> {
  const bytes = await readFileOrUndefined(file);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (e) {
    throw new CorruptFileError(file, e instanceof Error ? e.message : String(e));
  }
}

/** Removes leftover temporary files from interrupted writes in `dir` (best effort). */
export async function removeStaleTempFiles(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names.filter((n) => n.startsWith('.') && n.endsWith('.tmp')).map((n) => fs.rm(path.join(dir, n), { force: true }).catch(() => undefined)),
  );
}

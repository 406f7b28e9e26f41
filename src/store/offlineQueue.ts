/**
 * Durable FIFO of operations made while an account was offline, one JSON file per account in a
 * directory the extension gives (globalStorage). Every change is written atomically (tmp + fsync
 * + rename) before it is visible in memory, so memory and disk never disagree and a crash leaves
 * the old queue or the new one. A file that cannot be read as a queue is moved aside as
 * `<name>.corrupt-<time>` and logged; the account starts with the operations that could be read.
 *
 * One process owns a queue file at a time (the extension host of one window). Two windows
 * writing the same account's queue would overwrite each other's additions.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MailError } from '../protocol/errors';
import { OfflineOperation, offlineOperationProblem } from '../protocol/imap/operations/offlineOperation';
import type { ProtocolLog } from '../protocol/log';
import { Emitter, Event } from '../util/event';
import { readFileOrUndefined, writeFileAtomic } from './atomicFile';

export type { OfflineOperation, OfflineOperationKind } from '../protocol/imap/operations/offlineOperation';

/**
 * Most operations one account may queue. Each change rewrites the whole file, so the cap bounds
 * the cost of a write (about 200 bytes per operation: 2 MB at the cap) and the replay time; a user
 * who changes more than this offline gets an error instead of an ever slower editor.
 */
export const MAX_QUEUED_OPERATIONS = 10_000;

/** Most UIDs in one queued operation (a "select all" in a large folder); same reason. */
export const MAX_UIDS_PER_OPERATION = 50_000;

const FILE_VERSION = 1;

interface QueueFile {
  version: number;
  accountId: string;
  operations: OfflineOperation[];
}

/** What a caller supplies; id, accountId and createdAt are filled in. */
export type NewOfflineOperation = Omit<OfflineOperation, 'id' | 'accountId' | 'createdAt' | 'attempts' | 'lastError'>;

/** The fields replay may change on a queued operation. */
export type OfflineOperationPatch = Partial<Pick<OfflineOperation, 'uids' | 'attempts' | 'lastError'>>;

export interface OfflineQueueOptions {
  /** Directory holding the queue files of all accounts; created when missing. */
  dir: string;
  accountId: string;
  log: ProtocolLog;
  /** Injectable clock for tests. */
  now?: () => number;
}

export class OfflineQueue {
  private operations: readonly OfflineOperation[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private readonly changed = new Emitter<readonly OfflineOperation[]>();
  /** Fires after every persisted change with the whole queue. */
  readonly onDidChange: Event<readonly OfflineOperation[]> = this.changed.event;

  private constructor(
    /** The queue's JSON file. */
    readonly file: string,
    readonly accountId: string,
    private readonly log: ProtocolLog,
    private readonly now: () => number,
  ) {}

  /** Loads the account's queue (empty when there is none); never throws for a corrupt file. */
  static async open(options: OfflineQueueOptions): Promise<OfflineQueue> {
    if (!options.accountId) throw new MailError('StorageFailed', 'An offline queue needs an account id.');
    const file = queueFilePath(options.dir, options.accountId);
    const queue = new OfflineQueue(file, options.accountId, options.log, options.now ?? Date.now);
    await removeOwnStaleTempFiles(file);
    queue.operations = await queue.load();
    return queue;
  }

  /** Oldest first. */
  list(): readonly OfflineOperation[] {
    return this.operations;
  }

  /** The oldest operation, if any. */
  peek(): OfflineOperation | undefined {
    return this.operations[0];
  }

  get size(): number {
    return this.operations.length;
  }

  get(id: string): OfflineOperation | undefined {
    return this.operations.find((op) => op.id === id);
  }

  /** Appends an operation; resolves once it is on disk. Throws (nothing queued) on bad input, a full queue or a failed write. */
  enqueue(operation: NewOfflineOperation): Promise<OfflineOperation> {
    return this.mutate((current) => {
      const entry: OfflineOperation = { ...copyOperation(operation), id: randomUUID(), accountId: this.accountId, createdAt: this.now() };
      const problem = offlineOperationProblem(entry);
      if (problem) throw new MailError('StorageFailed', `The change could not be queued: ${problem}.`, { detail: problem });
      if (entry.uids.length > MAX_UIDS_PER_OPERATION) {
        throw new MailError('LimitExceeded', `Too many messages (${entry.uids.length}) for one offline change; at most ${MAX_UIDS_PER_OPERATION} can be queued at once.`);
      }
      if (current.length >= MAX_QUEUED_OPERATIONS) {
        throw new MailError('LimitExceeded', `${MAX_QUEUED_OPERATIONS} changes are already waiting for the server; reconnect before making more.`);
      }
      return { next: [...current, entry], value: entry };
    });
  }

  /** Removes an operation; false when it was not queued. */
  remove(id: string): Promise<boolean> {
    return this.mutate((current) => {
      const next = current.filter((op) => op.id !== id);
      return { next: next.length === current.length ? undefined : next, value: next.length !== current.length };
    });
  }

  /** Changes an operation's UIDs (never to none: remove it instead), attempts or last error. */
  update(id: string, patch: OfflineOperationPatch): Promise<boolean> {
    return this.mutate((current) => {
      const index = current.findIndex((op) => op.id === id);
      if (index < 0) return { next: undefined, value: false };
      const updated: OfflineOperation = { ...current[index], ...copyPatch(patch) };
      const problem = offlineOperationProblem(updated);
      if (problem || !updated.uids.length) throw new MailError('StorageFailed', `The queued change could not be updated: ${problem ?? 'no UIDs left'}.`);
      const next = [...current];
      next[index] = updated;
      return { next, value: true };
    });
  }

  /** Removes every operation. */
  clear(): Promise<void> {
    return this.mutate((current) => ({ next: current.length ? [] : undefined, value: undefined }));
  }

  dispose(): void {
    this.changed.dispose();
  }

  /**
   * Runs one change at a time: computes the next list, writes it, and only then makes it the
   * current one and fires onDidChange. `next: undefined` means nothing changed.
   */
  private mutate<T>(change: (current: readonly OfflineOperation[]) => { next: OfflineOperation[] | undefined; value: T }): Promise<T> {
    const run = async (): Promise<T> => {
      const { next, value } = change(this.operations);
      if (next === undefined) return value;
      await this.write(next);
      this.operations = next;
      this.changed.fire(next);
      return value;
    };
    const result = this.tail.then(run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async write(operations: OfflineOperation[]): Promise<void> {
    const body: QueueFile = { version: FILE_VERSION, accountId: this.accountId, operations };
    await writeFileAtomic(this.file, JSON.stringify(body));
  }

  private async load(): Promise<OfflineOperation[]> {
    let bytes: Buffer | undefined;
    try {
      bytes = await readFileOrUndefined(this.file);
    } catch (err) {
      // Unreadable (permissions, a directory in its place): keep it for inspection, start empty.
      await this.setAside(`cannot be read (${err instanceof Error ? err.message : String(err)})`);
      return [];
    }
    if (bytes === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      await this.setAside(`is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      return [];
    }
    const file = parsed as Partial<QueueFile> | null;
    if (typeof file !== 'object' || file === null || file.version !== FILE_VERSION || file.accountId !== this.accountId || !Array.isArray(file.operations)) {
      await this.setAside(`is not a version ${FILE_VERSION} queue of this account`);
      return [];
    }
    const valid: OfflineOperation[] = [];
    const problems: string[] = [];
    const ids = new Set<string>();
    for (const entry of file.operations as unknown[]) {
      const problem = offlineOperationProblem(entry) ?? ((entry as OfflineOperation).accountId !== this.accountId ? 'belongs to another account' : undefined) ?? (ids.has((entry as OfflineOperation).id) ? 'duplicate id' : undefined);
      if (problem) {
        problems.push(problem);
        continue;
      }
      ids.add((entry as OfflineOperation).id);
      valid.push(entry as OfflineOperation);
    }
    if (problems.length) {
      await this.setAside(`has ${problems.length} unreadable operation(s) (${[...new Set(problems)].join('; ')}); ${valid.length} kept`);
      try {
        await this.write(valid);
      } catch (err) {
        this.log.error(`offline queue ${path.basename(this.file)}: could not rewrite the readable operations: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return valid;
  }

  /** Renames the queue file to `<file>.corrupt-<time>` (best effort) and logs why. */
  private async setAside(reason: string): Promise<void> {
    const aside = `${this.file}.corrupt-${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}`;
    try {
      await fs.rename(this.file, aside);
      this.log.error(`offline queue for account ${this.accountId} ${reason}; moved aside to ${path.basename(aside)}`);
    } catch (err) {
      this.log.error(`offline queue for account ${this.accountId} ${reason}; could not move it aside: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** The queue file of an account: base64url of the id, so any id is a safe file name. */
export function queueFilePath(dir: string, accountId: string): string {
  return path.join(dir, `queue-${Buffer.from(accountId, 'utf8').toString('base64url')}.json`);
}

/** Deletes an account's queue file (account removed). */
export async function dropOfflineQueue(dir: string, accountId: string): Promise<void> {
  await fs.rm(queueFilePath(dir, accountId), { force: true });
}

function copyOperation(op: NewOfflineOperation): Omit<OfflineOperation, 'id' | 'accountId' | 'createdAt'> {
  const copy: Omit<OfflineOperation, 'id' | 'accountId' | 'createdAt'> = { kind: op.kind, path: op.path, uidValidity: op.uidValidity, uids: Array.isArray(op.uids) ? [...op.uids] : op.uids };
  if (op.add !== undefined) copy.add = Array.isArray(op.add) ? [...op.add] : op.add;
  if (op.remove !== undefined) copy.remove = Array.isArray(op.remove) ? [...op.remove] : op.remove;
  if (op.to !== undefined) copy.to = op.to;
  return copy;
}

function copyPatch(patch: OfflineOperationPatch): OfflineOperationPatch {
  const copy: OfflineOperationPatch = {};
  if (patch.uids !== undefined) copy.uids = [...patch.uids];
  if (patch.attempts !== undefined) copy.attempts = patch.attempts;
  if (patch.lastError !== undefined) copy.lastError = patch.lastError;
  return copy;
}

/** Temp files this queue's own interrupted writes left behind (other files in `dir` are not ours). */
async function removeOwnStaleTempFiles(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp')).map((n) => fs.rm(path.join(dir, n), { force: true }).catch(() => undefined)));
}

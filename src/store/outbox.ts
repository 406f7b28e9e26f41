/**
 * The local outbox: every message is written here (atomically, fsynced) before any attempt to
 * send it, and stays until it was sent AND its Sent copy, flags and draft were dealt with. A
 * message that could not be sent is kept with the server's reason; nothing here deletes mail on
 * its own.
 *
 * Layout of `dir`, per entry id:
 *   <id>.eml   the bytes for SMTP DATA (no Bcc header)
 *   <id>.bcc   the Bcc header line(s) that prefix the Sent copy; absent without Bcc
 *   <id>.json  the entry (OutboxEntry); written last, so an entry never exists without its bytes
 * A crash between the .eml and the .json leaves an orphan .eml that list() ignores (the add()
 * call never returned, so the compose tab still holds the message); it is kept, not deleted.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MailError } from '../protocol/errors';
import type { BuiltMessage } from '../protocol/smtp/buildMessage';
import { Emitter, Event } from '../util/event';
import { CorruptFileError, readFileOrUndefined, removeStaleTempFiles, syncDirectory, writeFileAtomic } from './atomicFile';

export type OutboxState = 'queued' | 'sending' | 'failed' | 'partial' | 'sent';

export type OriginalRef = { protocol: 'imap'; path: string; uidValidity: string; uid: number } | { protocol: 'pop3'; uidl: string };

export interface OutboxEntry {
  id: string;
  accountId: string;
  createdAt: string;
  state: OutboxState;
  subject: string;
  /** For display, e.g. "Ann <ann@example.com>". */
  recipients: string[];
  /** Who still has to receive it: after a partial rejection only the refused addresses. */
  envelope: { from: string; to: string[] };
  attempts: number;
  lastError?: { code: string; message: string; response?: string };
  original?: OriginalRef;
  originalFlag?: '\\Answered' | '$Forwarded';
  draftId?: string;
  composeId?: string;
  sentCopySaved?: boolean;
  /** The original got its \Answered / $Forwarded flag. */
  originalMarked?: boolean;
}

export interface DamagedEntry {
  id: string;
  error: MailError;
}

export const INTERRUPTED_MESSAGE = 'Mailroom stopped while sending this message; it may or may not have been sent.';

const STATES: ReadonlySet<string> = new Set(['queued', 'sending', 'failed', 'partial', 'sent']);
const ID = /^[a-z0-9]+-[0-9a-f]{12}$/;

export class Outbox {
  private readonly _onDidChange = new Emitter<void>();
  readonly onDidChange: Event<void> = this._onDidChange.event;
  private loaded: Promise<void> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  /** Sound entries, oldest first. Damaged ones are listed by damaged(), never deleted. */
  async list(): Promise<OutboxEntry[]> {
    await this.load();
    const { entries } = await this.scan();
    return entries;
  }

  /** Entries whose .json or bytes are unreadable: reported so the user can look, never deleted. */
  async damaged(): Promise<DamagedEntry[]> {
    await this.load();
    return (await this.scan()).damaged;
  }

  /** Stores the message durably (bytes first, then the entry) in state 'queued'. */
  async add(fields: Omit<OutboxEntry, 'id' | 'createdAt' | 'state' | 'attempts'>, built: BuiltMessage): Promise<OutboxEntry> {
    await this.load();
    return this.serialized(async () => {
      const now = nextStamp();
      const id = `${now.toString(36)}-${randomBytes(6).toString('hex')}`;
      const entry: OutboxEntry = { ...fields, id, createdAt: new Date(now).toISOString(), state: 'queued', attempts: 0 };
      const bcc = built.sentCopy.length > built.wire.length ? built.sentCopy.subarray(0, built.sentCopy.length - built.wire.length) : undefined;
      try {
        await writeFileAtomic(this.file(id, 'eml'), built.wire);
        if (bcc) await writeFileAtomic(this.file(id, 'bcc'), bcc);
        await writeFileAtomic(this.file(id, 'json'), JSON.stringify(entry, null, 1));
      } catch (err) {
        await this.removeFiles(id).catch(() => undefined);
        throw err;
      }
      this._onDidChange.fire();
      return entry;
    });
  }

  async read(id: string): Promise<{ entry: OutboxEntry; wire: Buffer; sentCopy: Buffer }> {
    await this.load();
    const entry = await this.readEntry(id);
    const wire = await readFileOrUndefined(this.file(id, 'eml'));
    if (!wire) throw new MailError('StorageFailed', `The outbox message ${id} has lost its content file.`, { detail: this.file(id, 'eml') });
    const bcc = await readFileOrUndefined(this.file(id, 'bcc'));
    return { entry, wire, sentCopy: bcc ? Buffer.concat([bcc, wire]) : wire };
  }

  async update(id: string, patch: Partial<OutboxEntry>): Promise<OutboxEntry> {
    await this.load();
    return this.serialized(async () => {
      const entry = await this.write(id, patch);
      this._onDidChange.fire();
      return entry;
    });
  }

  /** Removes the entry, then its bytes. */
  async remove(id: string): Promise<void> {
    await this.load();
    return this.serialized(async () => {
      checkId(id);
      await this.removeFiles(id);
      this._onDidChange.fire();
    });
  }

  dispose(): void {
    this._onDidChange.dispose();
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * Once per Outbox: an entry found in 'sending' was being sent when Mailroom stopped; it becomes
   * 'failed' so a retry is the user's choice (it may have gone out).
   */
  private load(): Promise<void> {
    this.loaded ??= (async (): Promise<void> => {
      await fs.mkdir(this.dir, { recursive: true }).catch((err: unknown) => {
        throw new MailError('StorageFailed', 'Could not create the outbox folder.', { detail: String(err), cause: err });
      });
      await removeStaleTempFiles(this.dir);
      const { entries } = await this.scan();
      for (const entry of entries.filter((e) => e.state === 'sending')) {
        await this.write(entry.id, { state: 'failed', lastError: { code: 'Interrupted', message: INTERRUPTED_MESSAGE } });
      }
    })();
    // A failed load (e.g. an unreadable folder) is retried by the next call.
    this.loaded.catch(() => (this.loaded = undefined));
    return this.loaded;
  }

  private async scan(): Promise<{ entries: OutboxEntry[]; damaged: DamagedEntry[] }> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      throw new MailError('StorageFailed', 'Could not read the outbox folder.', { detail: String(err), cause: err });
    }
    const entries: OutboxEntry[] = [];
    const damaged: DamagedEntry[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const id = name.slice(0, -'.json'.length);
      try {
        const entry = await this.readEntry(id);
        if (!names.includes(`${id}.eml`)) throw new MailError('StorageFailed', `The outbox message "${entry.subject}" has lost its content file.`, { detail: this.file(id, 'eml') });
        entries.push(entry);
      } catch (err) {
        damaged.push({ id, error: MailError.is(err) ? err : new MailError('StorageFailed', `Outbox entry ${id} could not be read.`, { cause: err }) });
      }
    }
    entries.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return { entries, damaged };
  }

  private async readEntry(id: string): Promise<OutboxEntry> {
    checkId(id);
    const file = this.file(id, 'json');
    const bytes = await readFileOrUndefined(file);
    if (!bytes) throw new MailError('StorageFailed', `There is no outbox message ${id}.`);
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new CorruptFileError(file, e instanceof Error ? e.message : String(e));
    }
    const problem = entryProblem(value, id);
    if (problem) throw new CorruptFileError(file, problem);
    return value as OutboxEntry;
  }

  private async write(id: string, patch: Partial<OutboxEntry>): Promise<OutboxEntry> {
    const current = await this.readEntry(id);
    const next: OutboxEntry = { ...current, ...patch, id: current.id, createdAt: current.createdAt };
    for (const key of Object.keys(next) as Array<keyof OutboxEntry>) if (next[key] === undefined) delete next[key];
    await writeFileAtomic(this.file(id, 'json'), JSON.stringify(next, null, 1));
    return next;
  }

  private async removeFiles(id: string): Promise<void> {
    for (const ext of ['json', 'bcc', 'eml'] as const) {
      await fs.rm(this.file(id, ext), { force: true }).catch((err: unknown) => {
        throw new MailError('StorageFailed', `Could not remove outbox message ${id}.`, { detail: String(err), cause: err });
      });
    }
    await syncDirectory(this.dir);
  }

  private file(id: string, ext: 'json' | 'eml' | 'bcc'): string {
    return path.join(this.dir, `${id}.${ext}`);
  }

  /** One change at a time, so read-modify-write of an entry never interleaves. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

let lastStamp = 0;

/** Milliseconds since the epoch, strictly increasing in this process, so list() keeps the order of add(). */
function nextStamp(): number {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return lastStamp;
}

function checkId(id: string): void {
  if (!ID.test(id)) throw new MailError('StorageFailed', `"${id}" is not an outbox message id.`);
}

/** Why `value` is not an OutboxEntry with this id, or undefined when it is one. */
function entryProblem(value: unknown, id: string): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const v = value as Record<string, unknown>;
  if (v.id !== id) return 'id does not match the file name';
  for (const key of ['accountId', 'createdAt', 'subject'] as const) if (typeof v[key] !== 'string') return `${key} is missing`;
  if (typeof v.state !== 'string' || !STATES.has(v.state)) return 'state is not valid';
  if (typeof v.attempts !== 'number') return 'attempts is missing';
  if (!Array.isArray(v.recipients) || !v.recipients.every((r) => typeof r === 'string')) return 'recipients is not a list';
  const env = v.envelope as Record<string, unknown> | undefined;
  if (typeof env !== 'object' || env === null || typeof env.from !== 'string' || !Array.isArray(env.to) || !env.to.every((t) => typeof t === 'string')) return 'envelope is not valid';
  return undefined;
}

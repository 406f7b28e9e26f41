/**
 * The POP3 cache index on disk: a snapshot (`pop3-index.json`, written atomically) plus a journal
 * of changes since it (`pop3-index.<generation>.journal`, one JSON line per change, appended).
 * A check that adds 10 messages to a 10,000-message cache appends 10 lines instead of rewriting
 * megabytes; the snapshot is rewritten when the journal grows past a quarter of the entries.
 *
 * Both are caches of what the Maildir file names and bytes say, so a torn last journal line or a
 * lost journal is repaired by the reconcile on open, never a loss of mail or flags.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MailError } from '../../protocol/errors';
import { CorruptFileError, readJsonOrUndefined, writeFileAtomic } from '../atomicFile';
import { CachedPop3Message } from './types';

const INDEX_VERSION = 2;
const SNAPSHOT = 'pop3-index.json';
const JOURNAL = /^pop3-index\.(\d+)\.journal$/;
/** Rewrite the snapshot once the journal has this many lines (or a quarter of the entries). */
const MIN_COMPACT_LINES = 200;

export interface RemovedMessage {
  uidl: string;
  /** When the message had been downloaded (the age policies count from here). */
  receivedAt: string;
}

export type JournalLine = { put: CachedPop3Message } | { del: string } | { tomb: RemovedMessage } | { untomb: string };

interface Snapshot {
  version: number;
  generation: number;
  messages: CachedPop3Message[];
  removed: RemovedMessage[];
}

export interface IndexContent {
  messages: Map<string, CachedPop3Message>;
  removed: Map<string, RemovedMessage>;
}

export type IndexRead = { ok: true; content: IndexContent } | { ok: false; problem: 'missing' | 'corrupt' | 'unknown-format' };

export class IndexFile {
  private generation = 0;
  private journalLines = 0;

  constructor(private readonly dir: string) {}

  private get snapshotPath(): string {
    return path.join(this.dir, SNAPSHOT);
  }

  private journalPath(generation = this.generation): string {
    return path.join(this.dir, `pop3-index.${generation}.journal`);
  }

  async read(): Promise<IndexRead> {
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await readJsonOrUndefined<Snapshot>(this.snapshotPath);
    } catch (e) {
      if (e instanceof CorruptFileError) return { ok: false, problem: 'corrupt' };
      throw e;
    }
    if (!snapshot) return { ok: false, problem: 'missing' };
    if (snapshot.version !== INDEX_VERSION || !Array.isArray(snapshot.messages) || typeof snapshot.generation !== 'number') {
      return { ok: false, problem: 'unknown-format' };
    }
    this.generation = snapshot.generation;
    const messages = new Map<string, CachedPop3Message>();
    for (const m of snapshot.messages) if (isEntry(m)) messages.set(m.uidl, m);
    const removed = new Map<string, RemovedMessage>();
    for (const r of Array.isArray(snapshot.removed) ? snapshot.removed : []) if (isRemoved(r)) removed.set(r.uidl, r);
    this.journalLines = 0;
    const journal = await fs.readFile(this.journalPath(), 'utf8').catch(() => '');
    for (const text of journal.split('\n')) {
      if (!text) continue;
      let line: JournalLine;
      try {
        line = JSON.parse(text) as JournalLine;
      } catch {
        continue; // torn by a crash mid-append: the reconcile repairs what it described
      }
      this.journalLines++;
      if ('put' in line && isEntry(line.put)) messages.set(line.put.uidl, line.put);
      else if ('del' in line) messages.delete(line.del);
      else if ('tomb' in line && isRemoved(line.tomb)) removed.set(line.tomb.uidl, line.tomb);
      else if ('untomb' in line) removed.delete(line.untomb);
    }
    await this.removeOtherJournals();
    return { ok: true, content: { messages, removed } };
  }

  /**
   * Appends the changes (fdatasynced when `durable`), or rewrites the snapshot (always atomically
   * and durably) when the journal has grown long.
   */
  async save(content: IndexContent, changes: JournalLine[], options: { forceSnapshot: boolean; durable: boolean }): Promise<void> {
    if (!options.forceSnapshot && this.journalLines + changes.length < Math.max(MIN_COMPACT_LINES, content.messages.size / 4)) {
      if (changes.length) await this.append(changes, options.durable);
      return;
    }
    const next = this.generation + 1;
    const snapshot: Snapshot = { version: INDEX_VERSION, generation: next, messages: [...content.messages.values()], removed: [...content.removed.values()] };
    await writeFileAtomic(this.snapshotPath, JSON.stringify(snapshot));
    const old = this.journalPath();
    this.generation = next;
    this.journalLines = 0;
    await fs.rm(old, { force: true });
  }

  /** Changes whenever another process saves: for a cheap "did anything change?" check. */
  async stamp(): Promise<string> {
    const [snap, journal] = await Promise.all([fs.stat(this.snapshotPath).catch(() => undefined), fs.stat(this.journalPath()).catch(() => undefined)]);
    return `${snap?.mtimeMs ?? 0}:${snap?.size ?? 0}:${journal?.mtimeMs ?? 0}:${journal?.size ?? 0}`;
  }

  private async append(changes: JournalLine[], durable: boolean): Promise<void> {
    const text = changes.map((c) => JSON.stringify(c)).join('\n') + '\n';
    try {
      const handle = await fs.open(this.journalPath(), 'a', 0o600);
      try {
        await handle.writeFile(text);
        if (durable) await handle.datasync();
      } finally {
        await handle.close();
      }
    } catch (e) {
      throw new MailError('StorageFailed', 'Mailroom could not save the POP3 message list.', { detail: e instanceof Error ? e.message : String(e), cause: e });
    }
    this.journalLines += changes.length;
  }

  private async removeOtherJournals(): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      const m = JOURNAL.exec(name);
      if (m && Number(m[1]) !== this.generation) await fs.rm(path.join(this.dir, name), { force: true });
    }
  }
}

function isEntry(value: unknown): value is CachedPop3Message {
  const v = value as CachedPop3Message;
  return (
    typeof v === 'object' && v !== null && typeof v.uidl === 'string' && typeof v.file === 'string' &&
    typeof v.size === 'number' && typeof v.receivedAt === 'string' && typeof v.flags === 'object' && v.flags !== null
  );
}

function isRemoved(value: unknown): value is RemovedMessage {
  const v = value as RemovedMessage;
  return typeof v === 'object' && v !== null && typeof v.uidl === 'string' && typeof v.receivedAt === 'string';
}

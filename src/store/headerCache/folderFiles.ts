/**
 * One folder's two files: `<name>.json`, the snapshot (snapshot.ts), and `<name>.journal`, the
 * changes since (journal.ts). A flush appends its changes to the journal as one fsynced record,
 * so a flag change in a folder of 100,000 messages writes about a hundred bytes
 * (bench `imap.flagPersist1at100k`). The snapshot is written again, atomically, only when
 *
 * - there is none yet, or it is of an older version;
 * - the flush carries a change the journal does not (a UIDVALIDITY change, which drops
 *   everything; a rename; more changed rows than are worth noting one by one, such as a full sync);
 * - the journal with this flush would pass JOURNAL_SHARE of the snapshot's size (compaction), or
 *   the last write failed.
 *
 * Two windows may hold the same folder: before appending, the snapshot must still be the one this
 * window read or wrote and the journal as long as it left it; otherwise the flush writes a
 * snapshot of what this window holds, whole, as every flush did before the journal (the last
 * writer wins, never a mix of both windows' records).
 *
 * Loading reads the snapshot, then replays the journal's valid records in order. A journal whose
 * header names another snapshot (a compaction was cut off before the old journal was removed)
 * is ignored; a torn or damaged record ends the replay there: the cache is then as it was one or
 * more flushes earlier, HIGHESTMODSEQ included, and the next sync fetches the rest.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { CorruptFileError, readFileOrUndefined, writeFileAtomic } from '../atomicFile';
import type { ProtocolLog } from '../../protocol/log';
import type { FolderTable } from './folderTable';
import { appendRecords, encodeRecord, journalHeader, readJournal } from './journal';
import { decodeSnapshot, encodeSnapshot } from './snapshot';

/** The journal may grow to this share of the snapshot before the next flush compacts. */
export const JOURNAL_SHARE = 0.25;
/** ...and at least to this (a small folder's snapshot is rewritten at most every this many bytes). */
export const MIN_JOURNAL_BYTES = 64 * 1024;

export interface FolderFilePaths {
  snapshot: string;
  journal: string;
}

export type SaveKind = 'snapshot' | 'journal';

export class FolderFiles {
  /** The journal id the snapshot on disk names; undefined when there is no version 3 snapshot. */
  private snapshotId: string | undefined;
  private snapshotBytes = 0;
  /** Identity of the snapshot file as this window last saw it (inode, size, mtime). */
  private snapshotStamp = '';
  /** Bytes of this snapshot's journal on disk; 0 when it has none yet. */
  private journalBytes = 0;

  /** `paths` is asked at every write: a rename moves the files. */
  constructor(
    private readonly paths: () => FolderFilePaths,
    private readonly log: ProtocolLog,
  ) {}

  /**
   * Fills `table` from the files. Throws (with a description) when the snapshot is unusable; the
   * caller drops both files and starts empty. Returns the folder path the snapshot names.
   */
  async load(table: FolderTable, label: string): Promise<string | undefined> {
    const { snapshot, journal } = this.paths();
    const bytes = await readFileOrUndefined(snapshot);
    if (bytes === undefined) {
      // A journal without its snapshot has nothing to apply to.
      await fs.rm(journal, { force: true });
      return undefined;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new CorruptFileError(snapshot, e instanceof Error ? e.message : String(e));
    }
    const decoded = decodeSnapshot(raw);
    table.adopt(decoded.columns);
    this.snapshotBytes = bytes.length;
    this.snapshotId = decoded.journalId;
    this.journalBytes = 0;
    this.snapshotStamp = await stamp(snapshot);
    if (decoded.older) table.needSnapshot();
    await this.replay(table, label, journal);
    return decoded.path;
  }

  /**
   * Persists one flush of `table`: `changes` (journal operations as JSON) appended to the
   * journal, or a new snapshot when `changes` is undefined or compaction is due. Each is
   * serialized in one synchronous step, so the table may change while the write runs.
   */
  async save(table: FolderTable, changes: string[] | undefined): Promise<SaveKind | undefined> {
    const { snapshot, journal } = this.paths();
    const before = this.journalBytes;
    if (changes !== undefined && this.snapshotId !== undefined && before >= 0) {
      if (!changes.length) return undefined;
      const record = encodeRecord(`[${changes.join(',')}]`);
      const fresh = before === 0;
      const records = fresh ? [encodeRecord(journalHeader(this.snapshotId)), record] : [record];
      const added = records.reduce((n, r) => n + r.length, 0);
      const fits = before + added <= Math.max(MIN_JOURNAL_BYTES, this.snapshotBytes * JOURNAL_SHARE);
      if (fits && (await this.filesAsLeft(snapshot, journal, before))) {
        // Unknown until the append is done: after a failed one only a snapshot is written.
        this.journalBytes = -1;
        await appendRecords(journal, records, fresh);
        this.journalBytes = before + added;
        return 'journal';
      }
    }
    const id = randomBytes(8).toString('hex');
    // The checks above may have awaited: what changed meanwhile goes into this snapshot.
    const text = encodeSnapshot(table.path, table.snapshotColumns(), id);
    await writeFileAtomic(snapshot, text);
    this.snapshotStamp = await stamp(snapshot);
    this.snapshotId = id;
    this.snapshotBytes = Buffer.byteLength(text, 'utf8');
    this.journalBytes = 0;
    // The old journal names the old snapshot: harmless if this fails, the next append truncates it.
    await fs.rm(journal, { force: true }).catch(() => undefined);
    return 'snapshot';
  }

  /** The snapshot is the one this window knows and the journal has `journalBytes` bytes (0: none). */
  private async filesAsLeft(snapshot: string, journal: string, journalBytes: number): Promise<boolean> {
    if ((await stamp(snapshot)) !== this.snapshotStamp) return false;
    if (journalBytes === 0) return true;
    const size = await fs.stat(journal).then((s) => s.size, () => -1);
    return size === journalBytes;
  }

  private async replay(table: FolderTable, label: string, file: string): Promise<void> {
    const bytes = await readFileOrUndefined(file);
    if (bytes === undefined || bytes.length === 0) return;
    const contents = readJournal(bytes);
    if (contents.of === undefined || contents.of !== this.snapshotId) {
      // From before the last compaction (or its header never made it to disk): the snapshot holds it all.
      this.log.debug(`header cache journal for "${label}" belongs to an older snapshot; removed`);
      await fs.rm(file, { force: true });
      return;
    }
    for (const ops of contents.batches) table.replay(ops);
    if (contents.batches.some((ops) => ops.some((op) => op[0] === 'u'))) table.fitColumns();
    this.journalBytes = contents.validBytes;
    const damage = contents.damage;
    if (damage) {
      const words = `header cache journal for "${label}": record ${damage.record} ${damage.reason}; the ${contents.batches.length} flushes before it are kept, the next sync fetches the rest`;
      if (damage.kind === 'torn') this.log.info(words);
      else this.log.warn(words);
      // The next flush writes a snapshot and starts a new journal, leaving the bad bytes behind.
      table.needSnapshot();
    }
  }
}

/** Inode, size and modification time of a file, '' when it is missing. */
async function stamp(file: string): Promise<string> {
  return fs.stat(file, { bigint: true }).then(
    (s) => `${s.ino}:${s.size}:${s.mtimeNs}`,
    () => '',
  );
}

/**
 * The journal of one folder's header cache: what changed since the snapshot (snapshot.ts), one
 * record per flush, appended and fsynced. A record is
 *
 *     u32le length of the payload | u32le CRC-32 of the payload | payload (UTF-8 JSON)
 *
 * The first record is the header `{"v":1,"of":"<snapshot's journal id>"}`; every later record
 * is one flush's changes, a JSON array of operations (JournalOp), applied all or none. Reading
 * stops at the first record that is cut short, fails its checksum or does not parse: a crash in
 * the middle of an append loses that one flush (the sync fetches it again from the server's
 * HIGHESTMODSEQ, which the same record would have carried), never misreads it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import type { CachedEnvelope, FolderSyncState } from '../../protocol/imap/cacheContract';
import { MailError } from '../../protocol/errors';
import { syncDirectory } from '../atomicFile';
import { isSyncState } from './snapshot';

export const JOURNAL_VERSION = 1;
const FRAME_BYTES = 8;
/** A length field above this is damage, not a record (a flush of 100,000 new rows is ~30 MB). */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** One change, as FolderTable's mutations take it. */
export type JournalOp =
  | ['u', CachedEnvelope[]]
  | ['f', number, string[], string | null]
  | ['x', number[]]
  | ['s', FolderSyncState]
  | ['t', number, string | null, string[]]
  | ['T'];

// --- records ------------------------------------------------------------------------------

/** CRC-32 (IEEE 802.3, as zip and PNG use it): Node's own (node:zlib, since Node 20.15). */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes);
}

/** Frames one payload: length, checksum, bytes. */
export function encodeRecord(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const out = Buffer.allocUnsafe(FRAME_BYTES + body.length);
  out.writeUInt32LE(body.length, 0);
  out.writeUInt32LE(crc32(body), 4);
  body.copy(out, FRAME_BYTES);
  return out;
}

export function journalHeader(snapshotId: string): string {
  return JSON.stringify({ v: JOURNAL_VERSION, of: snapshotId });
}

export interface JournalContents {
  /** The snapshot id the header names; undefined when the header itself is missing or damaged. */
  of: string | undefined;
  /** Every valid change record after the header, in order, each checked and ready to apply. */
  batches: JournalOp[][];
  /** Bytes of the valid prefix (header included). */
  validBytes: number;
  /**
   * Why reading stopped before the end: 'torn' when the bad record is the last thing in the file
   * (a crash during its append), 'damaged' when valid-looking bytes follow it.
   */
  damage?: { kind: 'torn' | 'damaged'; record: number; reason: string };
}

/** Reads a journal's records up to the first bad one. */
export function readJournal(bytes: Buffer): JournalContents {
  const out: JournalContents = { of: undefined, batches: [], validBytes: 0 };
  let at = 0;
  for (let record = 0; at < bytes.length; record++) {
    const stop = (reason: string, end: number): JournalContents => {
      out.damage = { kind: end >= bytes.length ? 'torn' : 'damaged', record, reason };
      return out;
    };
    if (bytes.length - at < FRAME_BYTES) return stop('record cut short', bytes.length);
    const length = bytes.readUInt32LE(at);
    if (length > MAX_RECORD_BYTES || at + FRAME_BYTES + length > bytes.length) return stop('record cut short', bytes.length);
    const end = at + FRAME_BYTES + length;
    const body = bytes.subarray(at + FRAME_BYTES, end);
    if (crc32(body) !== bytes.readUInt32LE(at + 4)) return stop('checksum mismatch', end);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return stop('record is not JSON', end);
    }
    if (record === 0) {
      const head = value as { v?: unknown; of?: unknown } | null;
      if (typeof head !== 'object' || head === null || head.v !== JOURNAL_VERSION || typeof head.of !== 'string') return stop('unknown journal header', end);
      out.of = head.of;
    } else {
      const ops = checkBatch(value);
      if (!ops) return stop('malformed changes', end);
      out.batches.push(ops);
    }
    at = end;
    out.validBytes = at;
  }
  return out;
}

// --- operations ---------------------------------------------------------------------------

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isUid = (v: unknown): v is number => isInt(v) && v > 0;
const isString = (v: unknown): v is string => typeof v === 'string';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isDecimal = (v: unknown): v is string => typeof v === 'string' && /^\d+$/.test(v);
const isAddress = (v: unknown): boolean => typeof v === 'object' && v !== null && isString((v as Record<string, unknown>).name) && isString((v as Record<string, unknown>).address);

function isEnvelope(v: unknown): v is CachedEnvelope {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    isUid(e.uid) &&
    isStrings(e.flags) &&
    isInt(e.size) &&
    isString(e.subject) &&
    (e.modseq === undefined || isDecimal(e.modseq)) &&
    (e.date === undefined || isString(e.date)) &&
    (e.from === undefined || isAddress(e.from)) &&
    (e.to === undefined || (Array.isArray(e.to) && e.to.every(isAddress))) &&
    (e.messageId === undefined || isString(e.messageId)) &&
    (e.inReplyTo === undefined || isString(e.inReplyTo)) &&
    (e.references === undefined || isStrings(e.references))
  );
}

function isOp(op: unknown): op is JournalOp {
  if (!Array.isArray(op)) return false;
  switch (op[0]) {
    case 'u':
      return op.length === 2 && Array.isArray(op[1]) && op[1].every(isEnvelope);
    case 'f':
      return op.length === 4 && isUid(op[1]) && isStrings(op[2]) && (op[3] === null || isDecimal(op[3]));
    case 'x':
      return op.length === 2 && Array.isArray(op[1]) && op[1].every(isUid);
    case 's':
      return op.length === 2 && isSyncState(op[1]);
    case 't':
      return op.length === 4 && isUid(op[1]) && (op[2] === null || isString(op[2])) && isStrings(op[3]);
    case 'T':
      return op.length === 1;
    default:
      return false;
  }
}

/** The batch's operations when every one is well formed, else undefined (the batch is not applied). */
function checkBatch(value: unknown): JournalOp[] | undefined {
  return Array.isArray(value) && value.every(isOp) ? (value as JournalOp[]) : undefined;
}

// --- file -------------------------------------------------------------------------------

/**
 * Appends records and fsyncs them. `fresh` starts the file over (truncating a journal left from
 * before the last compaction) and makes its directory entry durable too.
 */
export async function appendRecords(file: string, records: Buffer[], fresh: boolean): Promise<void> {
  try {
    const handle = await fs.open(file, fresh ? 'w' : 'a', 0o600);
    try {
      await handle.writeFile(records.length === 1 ? records[0] : Buffer.concat(records));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    if (fresh) await syncDirectory(path.dirname(file));
  } catch (e) {
    throw new MailError('StorageFailed', `Could not write ${path.basename(file)}.`, {
      detail: e instanceof Error ? e.message : String(e),
      cause: e,
    });
  }
}

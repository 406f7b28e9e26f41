/**
 * The snapshot file of one folder's header cache: the whole table as JSON columns, written
 * atomically (src/store/atomicFile.ts) when the folder is first saved and at every compaction.
 * Changes between two snapshots go to the folder's journal (journal.ts); the snapshot names the
 * journal that belongs to it (`journal`, a random id the journal's first record repeats), so a
 * journal left over from before a compaction is recognised and ignored.
 *
 * Versions: 3 adds `journal`; 2 added In-Reply-To and References; 1 had neither. Files of
 * versions 1 and 2 load (`older`) and are written again as version 3 at the next flush.
 */
import type { EnvelopeAddress, FolderSyncState } from '../../protocol/imap/cacheContract';

export const FORMAT_VERSION = 3;
/** Version 2: no journal id (every change rewrote the snapshot). */
const V2_NO_JOURNAL = 2;
/** Version 1: no thread columns either (the columns start empty, marked missing). */
const V1_NO_THREAD_HEADERS = 1;
export const NO_MODSEQ = -1;
export const NONE = -1;

/** One folder in memory: parallel columns with one entry per message, UIDs ascending. */
export interface FolderColumns {
  state: FolderSyncState | undefined;
  uid: number[];
  /** Index into flagSets. */
  flags: number[];
  /** NO_MODSEQ when unknown or beyond 2^53 (then in bigModseq). */
  modseq: number[];
  bigModseq: Map<number, string>;
  size: number[];
  /** Epoch ms, NaN when unknown. */
  date: number[];
  subject: string[];
  /** Index into addresses, NONE when absent. */
  from: number[];
  /** Index into toLists, NONE when absent. */
  to: number[];
  messageId: string[];
  inReplyTo: string[];
  /** Joined by spaces (ids hold no spaces). */
  references: string[];
  threadHeadersMissing: boolean;
  flagSets: string[][];
  addresses: EnvelopeAddress[];
  toLists: number[][];
}

export function emptyColumns(state: FolderSyncState | undefined): FolderColumns {
  return {
    state,
    uid: [],
    flags: [],
    modseq: [],
    bigModseq: new Map(),
    size: [],
    date: [],
    subject: [],
    from: [],
    to: [],
    messageId: [],
    inReplyTo: [],
    references: [],
    threadHeadersMissing: false,
    flagSets: [],
    addresses: [],
    toLists: [],
  };
}

/** Serialized form of one folder. */
interface FolderFile {
  v: number;
  path: string;
  /** Version 3: the id of the journal written on top of this snapshot. */
  journal?: string;
  state: FolderSyncState | null;
  uids: number[];
  flagSets: string[][];
  flags: number[];
  modseq: number[];
  bigModseq: Record<string, string>;
  size: number[];
  date: Array<number | null>;
  subject: string[];
  addresses: Array<[string, string]>;
  from: number[];
  toLists: number[][];
  to: number[];
  messageId: string[];
  /** Version 2: the first In-Reply-To id, '' when none. */
  inReplyTo?: string[];
  /** Version 2: References joined by spaces, '' when none. */
  references?: string[];
  /** Version 2: set while messages carried over from version 1 still lack the two above. */
  threadHeadersMissing?: boolean;
}

export interface DecodedSnapshot {
  path: string;
  columns: FolderColumns;
  /** The id of the journal that belongs to this snapshot; undefined before version 3. */
  journalId: string | undefined;
  /** Written by an older version: rewrite it at the next flush. */
  older: boolean;
}

/** The snapshot as JSON text (synchronous: the caller's table cannot change under it). */
export function encodeSnapshot(path: string, c: FolderColumns, journalId: string): string {
  const file: FolderFile = {
    v: FORMAT_VERSION,
    path,
    journal: journalId,
    state: c.state ?? null,
    uids: c.uid,
    flagSets: c.flagSets,
    flags: c.flags,
    modseq: c.modseq,
    bigModseq: Object.fromEntries([...c.bigModseq].map(([k, v]) => [String(k), v])),
    size: c.size,
    date: c.date.map((d) => (Number.isNaN(d) ? null : d)),
    subject: c.subject,
    addresses: c.addresses.map((a) => [a.name, a.address]),
    from: c.from,
    toLists: c.toLists,
    to: c.to,
    messageId: c.messageId,
    inReplyTo: c.inReplyTo,
    references: c.references,
    ...(c.threadHeadersMissing ? { threadHeadersMissing: true } : {}),
  };
  return JSON.stringify(file);
}

/** Checks a parsed snapshot and returns its columns; throws a description of the first problem found. */
export function decodeSnapshot(raw: unknown): DecodedSnapshot {
  const f = raw as Partial<FolderFile> | null;
  if (typeof f !== 'object' || f === null) throw new Error('not an object');
  if (f.v !== FORMAT_VERSION && f.v !== V2_NO_JOURNAL && f.v !== V1_NO_THREAD_HEADERS) throw new Error(`unknown format version ${String(f.v)}`);
  const v1 = f.v === V1_NO_THREAD_HEADERS;
  if (typeof f.path !== 'string') throw new Error('bad path');
  if (f.v === FORMAT_VERSION && (typeof f.journal !== 'string' || !/^[0-9a-f]{8,64}$/.test(f.journal))) throw new Error('bad journal id');
  const n = Array.isArray(f.uids) ? f.uids.length : -1;
  const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
  const isString = (v: unknown): v is string => typeof v === 'string';
  const column = <T>(name: keyof FolderFile, check: (v: unknown) => v is T): T[] => {
    const c = f[name];
    if (!Array.isArray(c) || c.length !== n || !c.every(check)) throw new Error(`bad column ${name}`);
    return c as T[];
  };
  const uids = column('uids', (v): v is number => isInt(v) && v > 0);
  for (let i = 1; i < n; i++) if (uids[i] <= uids[i - 1]) throw new Error('UIDs not ascending');
  const flagSets = f.flagSets;
  if (!Array.isArray(flagSets) || !flagSets.every((s) => Array.isArray(s) && s.every(isString))) throw new Error('bad flagSets');
  const addresses = f.addresses;
  if (!Array.isArray(addresses) || !addresses.every((a) => Array.isArray(a) && a.length === 2 && isString(a[0]) && isString(a[1]))) throw new Error('bad addresses');
  const toLists = f.toLists;
  if (!Array.isArray(toLists) || !toLists.every((l) => Array.isArray(l) && l.every((a) => isInt(a) && a >= 0 && a < addresses.length))) throw new Error('bad toLists');
  const flags = column('flags', (v): v is number => isInt(v) && v >= 0 && v < flagSets.length);
  const modseq = column('modseq', isInt);
  const size = column('size', (v): v is number => isInt(v) && v >= 0);
  const date = column('date', (v): v is number | null => v === null || typeof v === 'number');
  const subject = column('subject', isString);
  const from = column('from', (v): v is number => isInt(v) && v >= NONE && v < addresses.length);
  const to = column('to', (v): v is number => isInt(v) && v >= NONE && v < toLists.length);
  const messageId = column('messageId', isString);
  const inReplyTo = v1 ? new Array<string>(n).fill('') : column('inReplyTo', isString);
  const references = v1 ? new Array<string>(n).fill('') : column('references', isString);
  const big = f.bigModseq ?? {};
  if (typeof big !== 'object' || !Object.entries(big).every(([k, v]) => /^\d+$/.test(k) && typeof v === 'string' && /^\d+$/.test(v))) throw new Error('bad bigModseq');
  const state = f.state;
  if (state !== null && !isSyncState(state)) throw new Error('bad state');
  return {
    path: f.path,
    journalId: f.v === FORMAT_VERSION ? f.journal : undefined,
    older: f.v !== FORMAT_VERSION,
    columns: {
      state: state ?? undefined,
      uid: uids,
      flags,
      modseq,
      bigModseq: new Map(Object.entries(big).map(([k, v]) => [Number(k), v])),
      size,
      date: date.map((d) => (d === null ? NaN : d)),
      subject,
      from,
      to,
      messageId,
      inReplyTo,
      references,
      threadHeadersMissing: v1 ? n > 0 : f.threadHeadersMissing === true,
      flagSets,
      addresses: addresses.map(([name, address]) => ({ name, address })),
      toLists,
    },
  };
}

export function isSyncState(v: unknown): v is FolderSyncState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.uidValidity === 'string' &&
    /^\d+$/.test(s.uidValidity) &&
    (s.highestModseq === undefined || (typeof s.highestModseq === 'string' && /^\d+$/.test(s.highestModseq))) &&
    (s.uidNext === undefined || Number.isSafeInteger(s.uidNext))
  );
}

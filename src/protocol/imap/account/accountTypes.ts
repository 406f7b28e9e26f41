/** The stores an ImapAccount works with, and what it reports; shared by its parts. */
import type { MailError } from '../../errors';
import type { CachedEnvelope } from '../cacheContract';
import type { FolderInfo } from '../folders';
import type { OfflineOperation } from '../operations/offlineOperation';
import type { SyncResult } from '../sync';

/** What the account needs from its durable offline queue (src/store/offlineQueue.ts). */
export interface PendingQueue {
  list(): readonly OfflineOperation[];
  enqueue(op: Pick<OfflineOperation, 'kind' | 'path' | 'uidValidity' | 'uids'> & Partial<Pick<OfflineOperation, 'add' | 'remove' | 'to'>>): Promise<unknown>;
  remove(id: string): Promise<unknown>;
  update(id: string, patch: { uids?: number[]; attempts?: number; lastError?: string }): Promise<unknown>;
}

/** What the account needs from the body cache (src/store/bodyCache.ts). */
export interface BodyStore {
  get(accountId: string, path: string, uidValidity: string, uid: number): Promise<Buffer | undefined>;
  put(accountId: string, path: string, uidValidity: string, uid: number, bytes: Buffer): Promise<void>;
  dropFolder(accountId: string, path: string): Promise<void>;
}

/** What the account needs to remember the folder list for offline use. */
export interface FolderListStore {
  load(accountId: string): Promise<FolderInfo[] | undefined>;
  save(accountId: string, folders: FolderInfo[]): Promise<void>;
}

export interface FolderChange {
  path: string;
  result?: SyncResult;
  /** Set when a sync failed; the cache still shows the last known state. */
  error?: MailError;
}

export interface NewMail {
  path: string;
  envelopes: CachedEnvelope[];
}

export interface SearchHit {
  path: string;
  uidValidity: string;
  envelope: CachedEnvelope;
}

export interface WriteOutcome {
  /** False when the server was unreachable and the operation was queued for later. */
  applied: boolean;
  /** Originals left flagged \Deleted because the server lacks MOVE and UIDPLUS. */
  leftFlaggedDeleted?: number[];
}

/** Errors that mean "the server cannot be reached now", as opposed to "the server said no". */
export function isUnreachable(error: MailError): boolean {
  return ['Offline', 'ConnectionClosed', 'ConnectionRefused', 'Timeout', 'HostNotFound'].includes(error.code);
}

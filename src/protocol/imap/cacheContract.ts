/**
 * The header cache as the sync engine and the tree see it: interfaces only, no file system.
 * `src/store/headerCache.ts` implements it; `src/protocol/imap/sync.ts` fills it.
 */

export interface EnvelopeAddress {
  name: string;
  address: string;
}

export interface CachedEnvelope {
  uid: number;
  /** Server flags as sent, e.g. ['\\Seen', '$Forwarded']. */
  flags: string[];
  /** Decimal string (64-bit safe). */
  modseq?: string;
  size: number;
  /** ISO 8601; the Date header, falling back to INTERNALDATE. */
  date?: string;
  subject: string;
  from?: EnvelopeAddress;
  /** At most a few (see MAX_TO_ADDRESSES in sync/envelope.ts). */
  to?: EnvelopeAddress[];
  /** Without the angle brackets. */
  messageId?: string;
  /** The first id of In-Reply-To, without angle brackets. */
  inReplyTo?: string;
  /** References, oldest first, without angle brackets (at most MAX_CACHED_REFERENCES). */
  references?: string[];
}

/** What threading reads of one cached message (src/protocol/threads). */
export interface ThreadFields {
  uid: number;
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  /** Epoch ms, NaN when unknown. */
  date: number;
  subject: string;
}

/** UIDVALIDITY and HIGHESTMODSEQ are decimal strings: both may exceed 2^53. */
export interface FolderSyncState {
  uidValidity: string;
  highestModseq?: string;
  uidNext?: number;
}

export interface FolderCache {
  readonly path: string;
  /** undefined = never synced completely. */
  state(): FolderSyncState | undefined;
  count(): number;
  unseenCount(): number;
  /** Newest first (highest UID first). */
  page(offset: number, limit: number): CachedEnvelope[];
  get(uid: number): CachedEnvelope | undefined;
  /** Ascending. */
  uids(): Uint32Array | number[];
  /** Every message's threading headers, without building whole envelopes. */
  threadFields(): ThreadFields[];
  /**
   * True while some cached messages lack In-Reply-To/References (a cache written before they were
   * kept): the next sync fetches them (setThreadHeaders) and then calls threadHeadersComplete().
   */
  needsThreadHeaders(): boolean;
  setThreadHeaders(uid: number, inReplyTo: string | undefined, references: string[]): void;
  threadHeadersComplete(): void;
  // mutations (in memory; persisted by flush):
  upsert(envelopes: CachedEnvelope[]): void;
  setFlags(uid: number, flags: string[], modseq?: string): void;
  remove(uids: number[]): void;
  /** Drops everything (UIDVALIDITY change) and starts over with this state. */
  reset(state: FolderSyncState): void;
  setState(state: FolderSyncState): void;
  /**
   * Persists the changes since the last flush as one crash-safe step (a journal record appended
   * and fsynced, or an atomic snapshot); a no-op when nothing changed since the last flush.
   */
  flush(): Promise<void>;
}

export interface HeaderCacheStore {
  /** Loads from disk once, then serves from memory. */
  folder(accountId: string, path: string): Promise<FolderCache>;
  dropFolder(accountId: string, path: string): Promise<void>;
  /** With the hierarchy delimiter, the folders below `from` move along (as IMAP RENAME does). */
  renameFolder(accountId: string, from: string, to: string, delimiter?: string): Promise<void>;
  dropAccount(accountId: string): Promise<void>;
  /** Folders with a cache on disk, for offline browsing. */
  knownFolders(accountId: string): Promise<string[]>;
  flushAll(): Promise<void>;
}

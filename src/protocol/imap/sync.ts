/**
 * Brings one folder's header cache up to date with the server.
 *
 * - First sync (or UIDVALIDITY changed): every envelope, `UID FETCH 1:*`, into an emptied cache;
 *   a cache holding only a first page (fetchNewestPage) is filled in below that page instead, so
 *   the newest messages stay shown while a large folder arrives.
 * - QRESYNC enabled: `SELECT folder (QRESYNC (uidvalidity modseq))`; the server answers with
 *   VANISHED (EARLIER) for expunges and FETCH (FLAGS) for changes, then only new UIDs are fetched.
 * - CONDSTORE only: `UID FETCH 1:max (FLAGS) (CHANGEDSINCE m)` for changes, new UIDs above the
 *   cached maximum, and `UID SEARCH ALL` only when the message count says something vanished.
 * - Neither: new UIDs above the cached maximum, then a flags sweep of the rest, which also shows
 *   which UIDs are gone.
 * Every sync SELECTs afresh (EXAMINE, read-only), so counts, UIDNEXT and HIGHESTMODSEQ are the
 * server's current ones. The state saved is the SELECT's: a change made while the sync runs is
 * reported again next time rather than missed.
 *
 * The bulk FETCH reads rows through ./sync/leanFetch (imapflow sends the command; the rows are
 * parsed from the socket without imapflow's per-token objects). Measured on the 10,000-message
 * bench mailbox over TLS on loopback (2 busy cores, medians of 5), full header sync:
 *   bare socket, UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE):   ~120-150 ms
 *   imapflow fetchAll, same items (envelope: true ...):                         ~460-680 ms
 *   imapflow fetchAll, BODY.PEEK[HEADER.FIELDS (DATE FROM TO SUBJECT MESSAGE-ID)] ~370-520 ms
 *   imapflow exec() with a no-op untagged FETCH handler (framing + dispatch only) ~150 ms plain
 *   leanFetch, same items, rows parsed and turned into CachedEnvelopes:         ~150-240 ms
 *   bench imap.headerSync10k (EXAMINE + fetch + cache + atomic flush): 305-357 ms vs 138-185 ms
 *   bare, ratio 1.9-2.2 (load average 7-9 on 2 cores while measured).
 * At 100,000 messages (bench imap100k, ~39 MB of FETCH, load average 15-20 on 2 cores): the
 * client's CPU per 100k rows (parse + cache) went from ~0.85 s to ~0.75 s once the reader stepped
 * over the ENVELOPE fields nobody reads (fetchParser.ts ENVELOPE_SKIPPED) and ordered batches were
 * appended without a search per row; headerSync100k measured 1.38x before, 1.17x after (1.71x
 * once, with an in-host run beside it): this machine's load moves the ratio more than the code.
 * HEADER.FIELDS is cheaper for the server (~54 ms vs ~83 ms bare, plain TCP) but then address
 * lists and dates must be parsed here; ENVELOPE keeps that parsing on the server and is what
 * both the bare client and Mailroom fetch.
 */
import type { ImapFlow } from 'imapflow';
import { toMailError } from '../connectionErrors';
import { failureCause } from './connectionFailure';
import { MailError } from '../errors';
import type { ProtocolLog } from '../log';
import type { CachedEnvelope, FolderCache, FolderSyncState } from './cacheContract';
import { rowToEnvelope, THREAD_BACKFILL_ITEM, THREAD_HEADER_ITEM, threadHeaders, type FetchRow } from './sync/envelope';
import { leanFetch } from './sync/leanFetch';
import { containsUid, formatUidSet, parseUidSet, rangesFromList } from './sync/uidSet';

export type SyncMethod = 'full' | 'qresync' | 'condstore' | 'uidnext+flags';

export interface SyncResult {
  path: string;
  method: SyncMethod;
  uidValidityChanged: boolean;
  /** UIDs fetched for the first time, ascending. */
  added: number[];
  /** Cached UIDs whose flags changed, ascending. */
  changed: number[];
  /** UIDs dropped from the cache, ascending. */
  removed: number[];
}

export interface SyncOptions {
  log: ProtocolLog;
  onProgress?(done: number, total: number): void;
  /** How long to wait for the mailbox lock before failing with Timeout (default 60 s). */
  acquireTimeoutMs?: number;
}

/** A sync waits at most this long for another holder of the connection's mailbox lock. */
const DEFAULT_ACQUIRE_TIMEOUT_MS = 60_000;
/** Rows are added to the cache (and progress reported) in batches of this many. */
const BATCH = 500;
/** ENVELOPE carries In-Reply-To but not References, which threading needs (src/protocol/threads). */
const ENVELOPE_ITEMS = ['UID', 'FLAGS', 'RFC822.SIZE', 'INTERNALDATE', 'ENVELOPE', THREAD_HEADER_ITEM];

/** Caller holds no lock; syncFolder takes the mailbox lock itself and releases it in finally. */
export async function syncFolder(client: ImapFlow, cache: FolderCache, options: SyncOptions): Promise<SyncResult> {
  const run = new FolderSync(client, cache, options);
  try {
    return await run.sync();
  } catch (err) {
    // Keep what was fetched: a full sync that broke off resumes above the highest cached UID.
    await cache.flush().catch(() => undefined);
    throw toMailError(failureCause(client, err), { host: client.host, port: client.port });
  }
}

export interface NewestPage {
  path: string;
  /** Messages in the folder at SELECT time. */
  total: number;
  uidValidity: string;
  /** Newest first. */
  envelopes: CachedEnvelope[];
}

/**
 * SELECT plus the newest `limit` envelopes, for showing a folder never synced before while the
 * full sync runs. The envelopes go into the cache only when its UIDVALIDITY matches (or it is
 * empty); the cache is not marked synced.
 */
export async function fetchNewestPage(client: ImapFlow, cache: FolderCache, options: { limit: number; log: ProtocolLog; acquireTimeoutMs?: number }): Promise<NewestPage> {
  const lock = await client.getMailboxLock(cache.path, { readOnly: true, acquireTimeout: options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS, description: `first page ${cache.path}` }).catch((err: unknown) => {
    throw toMailError(failureCause(client, err), { host: client.host, port: client.port });
  });
  try {
    const mailbox = selectedMailbox(client, cache.path);
    const uidValidity = mailbox.uidValidity.toString();
    const envelopes: CachedEnvelope[] = [];
    if (mailbox.exists > 0) {
      const start = Math.max(1, mailbox.exists - options.limit + 1);
      await leanFetch(client, { uid: false, range: `${start}:${mailbox.exists}`, items: ENVELOPE_ITEMS }, (row) => {
        const e = rowToEnvelope(row);
        if (e) envelopes.push(e);
      }, options.log);
    }
    envelopes.sort((a, b) => b.uid - a.uid);
    const state = cache.state();
    if (state ? state.uidValidity === uidValidity : cache.count() === 0) cache.upsert(envelopes);
    return { path: cache.path, total: mailbox.exists, uidValidity, envelopes };
  } catch (err) {
    throw toMailError(failureCause(client, err), { host: client.host, port: client.port });
  } finally {
    lock.release();
  }
}

type Mailbox = NonNullable<Exclude<ImapFlow['mailbox'], boolean>> & { qresync?: boolean };

function selectedMailbox(client: ImapFlow, path: string): Mailbox {
  const mailbox = client.mailbox;
  if (!mailbox || typeof mailbox === 'boolean') throw new MailError('MailboxNotFound', `The folder "${path}" could not be opened.`);
  return mailbox as Mailbox;
}

class FolderSync {
  private readonly path: string;
  private readonly added = new Set<number>();
  private readonly changed = new Set<number>();
  private readonly removed = new Set<number>();
  /** UIDs the server reported expunged; applied to the cache in one pass (applyRemovals). */
  private readonly vanished = new Set<number>();
  /** UIDs the server mentioned (flag update) that the cache does not hold yet. */
  private readonly unknown = new Set<number>();
  private selected = false;
  private seqExpunges = 0;
  private fetchModseq = false;

  constructor(
    private readonly client: ImapFlow,
    private readonly cache: FolderCache,
    private readonly options: SyncOptions,
  ) {
    this.path = cache.path;
  }

  async sync(): Promise<SyncResult> {
    const { client, cache, path } = this;
    const before = cache.state();
    const qresync = client.enabled.has('QRESYNC');
    const condstore = client.enabled.has('CONDSTORE') || qresync;
    const openOptions: { readOnly: true; uidValidity?: string; changedSince?: string } = { readOnly: true };
    if (qresync && before?.highestModseq && before.highestModseq !== '0') {
      openOptions.uidValidity = before.uidValidity;
      openOptions.changedSince = before.highestModseq;
    }

    const detach = this.listen();
    let method: SyncMethod;
    let uidValidityChanged = false;
    try {
      const lock = await client.getMailboxLock(path, { ...openOptions, acquireTimeout: this.options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS, description: `sync ${path}` });
      try {
        // Already selected on this connection: SELECT again for fresh counts and the QRESYNC delta.
        if (!this.selected) await client.mailboxOpen(path, openOptions);
        const mailbox = selectedMailbox(client, path);
        const uidValidity = mailbox.uidValidity.toString();
        this.fetchModseq = condstore && !mailbox.noModseq;
        const highestModseq = this.fetchModseq && mailbox.highestModseq !== undefined ? mailbox.highestModseq.toString() : undefined;
        const after: FolderSyncState = { uidValidity, ...(highestModseq ? { highestModseq } : {}), ...(mailbox.uidNext ? { uidNext: mailbox.uidNext } : {}) };

        if (!before && cache.count() > 0) {
          // Never synced, but a first page is shown (fetchNewestPage): fill in below it instead of
          // emptying the cache, so the tree keeps showing the newest messages while the rest of a
          // large folder arrives. Every row is fetched again; a cached row the server did not
          // send (the page was of another UIDVALIDITY) is dropped at the end.
          method = 'full';
          await this.fetchAllUnderPage(mailbox.exists);
        } else if (!before || before.uidValidity !== uidValidity) {
          uidValidityChanged = before !== undefined;
          if (uidValidityChanged) this.options.log.info(`"${path}": UIDVALIDITY changed ${before?.uidValidity} → ${uidValidity}; cache dropped`);
          method = 'full';
          cache.reset({ uidValidity });
          this.added.clear();
          this.changed.clear();
          this.removed.clear();
          await this.fetchNew(mailbox.exists);
        } else if (qresync && openOptions.changedSince && highestModseq && mailbox.qresync) {
          method = 'qresync';
          // VANISHED and FETCH arrived with the SELECT (see listen()); only new UIDs are left.
          await this.fetchNew(mailbox.exists);
          // QRESYNC reports only what changed on the server, so a cache that lost a message the
          // server still has (an optimistic move whose replay then failed) heals on the count.
          this.applyRemovals();
          if (selectedMailbox(client, path).exists !== cache.count()) await this.reconcileUids();
        } else if (condstore && before.highestModseq && highestModseq) {
          method = 'condstore';
          await this.fetchNew(mailbox.exists);
          await this.fetchChangedSince(before.highestModseq, highestModseq);
          this.applyRemovals();
          if (selectedMailbox(client, path).exists !== cache.count()) await this.reconcileUids();
        } else {
          method = 'uidnext+flags';
          const sweepTo = maxUid(cache);
          await this.fetchNew(mailbox.exists);
          await this.sweepFlags(sweepTo);
        }
        await this.fetchUnknown();
        if (this.seqExpunges > 0) await this.reconcileUids();
        this.applyRemovals();
        if (cache.needsThreadHeaders()) await this.backfillThreadHeaders();
        cache.setState(after);
      } finally {
        lock.release();
      }
    } finally {
      detach();
    }
    await cache.flush();
    const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
    const result: SyncResult = { path, method, uidValidityChanged, added: sorted(this.added), changed: sorted(this.changed), removed: sorted(this.removed) };
    this.options.log.debug(`"${path}" synced (${method}): +${result.added.length} ~${result.changed.length} -${result.removed.length}, ${cache.count()} cached`);
    return result;
  }

  /** Mailbox events from imapflow while the sync runs: the QRESYNC delta and concurrent changes. */
  private listen(): () => void {
    const { client, path } = this;
    const onOpen = (mailbox: { path?: string }): void => {
      if (mailbox.path === path) this.selected = true;
    };
    const onExpunge = (e: { path?: string; uid?: number; seq?: number }): void => {
      if (e.path !== path) return;
      if (e.uid !== undefined) this.vanished.add(e.uid);
      else this.seqExpunges++;
    };
    const onFlags = (e: { path?: string; uid?: number; flags?: Set<string>; modseq?: bigint }): void => {
      if (e.path !== path || e.uid === undefined || !e.flags) return;
      this.applyFlags(e.uid, [...e.flags].filter((f) => f.toLowerCase() !== '\\recent'), e.modseq?.toString());
    };
    client.on('mailboxOpen', onOpen);
    client.on('expunge', onExpunge);
    client.on('flags', onFlags);
    return () => {
      client.off('mailboxOpen', onOpen);
      client.off('expunge', onExpunge);
      client.off('flags', onFlags);
    };
  }

  /** Envelopes above the highest cached UID (all of them on a first sync). */
  private async fetchNew(exists: number): Promise<void> {
    const from = maxUid(this.cache) + 1;
    const uidNext = selectedMailbox(this.client, this.path).uidNext;
    if (exists === 0 || (uidNext && uidNext <= from)) return;
    const total = Math.max(0, exists - this.cache.count());
    await this.fetchEnvelopes(`${from}:*`, from, total);
  }

  /** UID FETCH 1:* into a cache holding only a first page; what the server did not send is dropped. */
  private async fetchAllUnderPage(exists: number): Promise<void> {
    const sent = new Set<number>();
    if (exists > 0) await this.fetchEnvelopes('1:*', 1, exists, sent);
    for (const u of this.cache.uids()) if (!sent.has(u)) this.vanished.add(u);
    // As after an emptied cache: a first full sync reports every message (the page included) as added.
    for (const u of sent) this.added.add(u);
  }

  /** UIDs the server mentioned but the cache lacks (e.g. a flag update for a new message). */
  private async fetchUnknown(): Promise<void> {
    const missing = [...this.unknown].filter((u) => !this.vanished.has(u) && !this.cache.get(u));
    this.unknown.clear();
    if (missing.length) await this.fetchEnvelopes(formatUidSet(rangesFromList(missing)), 1, missing.length);
  }

  private async fetchEnvelopes(range: string, minUid: number, total: number, sent?: Set<number>): Promise<void> {
    const items = this.fetchModseq ? [...ENVELOPE_ITEMS, 'MODSEQ'] : ENVELOPE_ITEMS;
    let batch: CachedEnvelope[] = [];
    let done = 0;
    const top = maxUid(this.cache);
    const commit = (): void => {
      for (const e of batch) if (e.uid > top || !this.cache.get(e.uid)) this.added.add(e.uid);
      this.cache.upsert(batch);
      done += batch.length;
      batch = [];
      this.options.onProgress?.(done, Math.max(total, done));
    };
    await leanFetch(this.client, { uid: true, range, items }, (row) => {
      const envelope = rowToEnvelope(row);
      // "UID FETCH n:*" answers with the last message even when its UID is below n.
      if (envelope && envelope.uid >= minUid && !this.vanished.has(envelope.uid)) {
        sent?.add(envelope.uid);
        batch.push(envelope);
        if (batch.length >= BATCH) commit();
      } else if (!envelope) this.applyRow(row);
    }, this.options.log);
    commit();
  }

  /**
   * A cache written before In-Reply-To and References were kept: fetch the two for every cached
   * message once (a few dozen bytes each), instead of dropping the cache and syncing it all again.
   */
  private async backfillThreadHeaders(): Promise<void> {
    const top = maxUid(this.cache);
    if (top > 0) {
      this.options.log.info(`"${this.path}": fetching In-Reply-To and References for the ${this.cache.count()} cached messages (cache from an older Mailroom)`);
      await leanFetch(this.client, { uid: true, range: `1:${top}`, items: ['UID', THREAD_BACKFILL_ITEM] }, (row) => {
        if (row.uid === undefined || row.headerFields === undefined || this.vanished.has(row.uid)) return;
        const { inReplyTo, references } = threadHeaders(row.headerFields);
        this.cache.setThreadHeaders(row.uid, inReplyTo, references);
      }, this.options.log);
    }
    this.cache.threadHeadersComplete();
  }

  /** CONDSTORE: flags of cached messages changed since the last sync. */
  private async fetchChangedSince(since: string, now: string): Promise<void> {
    const top = maxUid(this.cache);
    if (top === 0 || since === now) return;
    await leanFetch(this.client, { uid: true, range: `1:${top}`, items: ['UID', 'FLAGS', 'MODSEQ'], changedSince: since }, (row) => this.applyRow(row), this.options.log);
  }

  /** No CONDSTORE: current flags of every cached message; a cached UID not answered is gone. */
  private async sweepFlags(top: number): Promise<void> {
    if (top === 0) return;
    const seen = new Set<number>();
    await leanFetch(this.client, { uid: true, range: `1:${top}`, items: ['UID', 'FLAGS'] }, (row) => {
      if (row.uid === undefined) return;
      seen.add(row.uid);
      this.applyRow(row);
    }, this.options.log);
    const uids = this.cache.uids();
    const gone: number[] = [];
    for (const u of uids) {
      if (u > top) break;
      if (!seen.has(u)) gone.push(u);
    }
    for (const u of gone) this.vanished.add(u);
  }

  /** UID SEARCH ALL against the cache: drops what the server no longer has, fetches what is missing. */
  private async reconcileUids(): Promise<void> {
    const result = await this.client.search({ all: true }, { uid: true, returnOptions: ['ALL'] });
    let ranges;
    if (Array.isArray(result)) ranges = rangesFromList(result);
    else if (result && typeof result === 'object') ranges = parseUidSet(result.all ?? '');
    else throw new MailError('CommandFailed', `Could not list the messages of "${this.path}".`);
    for (const u of this.cache.uids()) if (!containsUid(ranges, u)) this.vanished.add(u);
    this.applyRemovals();
    for (const [a, b] of ranges) {
      for (let u = a; u <= b && this.unknown.size < 100_000; u++) if (!this.cache.get(u)) this.unknown.add(u);
    }
    await this.fetchUnknown();
  }

  private applyRow(row: FetchRow): void {
    if (row.uid !== undefined && row.flags) this.applyFlags(row.uid, row.flags, row.modseq);
  }

  private applyFlags(uid: number, flags: string[], modseq: string | undefined): void {
    if (this.vanished.has(uid)) return;
    const cached = this.cache.get(uid);
    if (!cached) {
      this.unknown.add(uid);
      return;
    }
    // An older report (lower modseq) must not undo a newer one.
    if (modseq !== undefined && cached.modseq !== undefined && BigInt(modseq) < BigInt(cached.modseq)) return;
    if (sameFlags(cached.flags, flags)) {
      if (modseq !== undefined && modseq !== cached.modseq) this.cache.setFlags(uid, cached.flags, modseq);
      return;
    }
    this.cache.setFlags(uid, flags, modseq);
    if (!this.added.has(uid)) this.changed.add(uid);
  }

  private applyRemovals(): void {
    if (!this.vanished.size) return;
    const present = (Array.from(this.cache.uids()) as number[]).filter((u) => this.vanished.has(u));
    for (const u of present) {
      this.removed.add(u);
      this.added.delete(u);
      this.changed.delete(u);
    }
    if (present.length) this.cache.remove(present);
  }
}

function maxUid(cache: FolderCache): number {
  const uids = cache.uids();
  return uids.length ? uids[uids.length - 1] : 0;
}

function sameFlags(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => set.has(f.toLowerCase()));
}

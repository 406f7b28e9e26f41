/**
 * Closes the window between a folder's last sync and the moment the supervisor starts watching it
 * (IDLE's EXAMINE, or the first STATUS poll after IDLE gave up its slot). A change another client
 * makes in that window is pushed by nobody: IDLE reports only what happens after its EXAMINE, and
 * a poll only what differs from its first answer. So the server's state at the watch start is
 * compared with the cache's, and the folder is synced on any difference.
 *
 * The cache state is the SELECT snapshot of its last sync (sync.ts). With HIGHESTMODSEQ on both
 * sides, equal UIDVALIDITY, message count, UIDNEXT and HIGHESTMODSEQ mean nothing changed between
 * the two snapshots, whichever came first. Without it (no CONDSTORE, or NOMODSEQ) a flag change
 * leaves every number alone, so the folder is always synced: a flags sweep, the only way to see it.
 */
import type { ProtocolLog } from '../log';
import type { FolderCache } from './cacheContract';
import type { MailboxEvent, WatchSnapshot } from './supervisor/events';

/** Why the cache may be behind `snapshot`; undefined when the cache is current. */
export function watchStartDifference(cache: Pick<FolderCache, 'state' | 'count'>, snapshot: WatchSnapshot): string | undefined {
  const state = cache.state();
  if (!state) return 'never synced';
  if (snapshot.uidValidity !== undefined && snapshot.uidValidity !== state.uidValidity) return `UIDVALIDITY ${state.uidValidity} cached, ${snapshot.uidValidity} on the server`;
  if (snapshot.messages !== cache.count()) return `${cache.count()} messages cached, ${snapshot.messages} on the server`;
  if (snapshot.uidNext !== undefined && state.uidNext !== undefined && snapshot.uidNext !== state.uidNext) return `UIDNEXT ${state.uidNext} cached, ${snapshot.uidNext} on the server`;
  if (!snapshot.highestModseq || !state.highestModseq) return 'no HIGHESTMODSEQ to compare flags with';
  if (snapshot.highestModseq !== state.highestModseq) return `HIGHESTMODSEQ ${state.highestModseq} cached, ${snapshot.highestModseq} on the server`;
  if (snapshot.uidValidity === undefined) return 'no UIDVALIDITY in the server’s answer';
  return undefined;
}

export interface WatchStartHost {
  /** Only folders the user has open are caught up; any other is synced when it is opened. */
  isOpen(path: string): boolean;
  folder(path: string): Promise<FolderCache>;
  /** The sync of `path` running now, if any. */
  running(path: string): Promise<unknown> | undefined;
  sync(path: string): Promise<unknown>;
  log: ProtocolLog;
}

/** Handles a `watching` event: waits for a sync already running, then compares and syncs if needed. */
export async function catchUpOnWatchStart(event: Extract<MailboxEvent, { kind: 'watching' }>, host: WatchStartHost): Promise<void> {
  const { path, via, snapshot } = event;
  if (!host.isOpen(path)) return;
  // A sync running now may have SELECTed before or after the watch start: compare its result.
  await host.running(path)?.catch(() => undefined);
  const difference = watchStartDifference(await host.folder(path), snapshot);
  if (difference === undefined) {
    host.log.debug(`${path} watched (${via}): cache is current`);
    return;
  }
  host.log.debug(`${path} watched (${via}): ${difference}; syncing`);
  await host.sync(path).catch(() => undefined);
}

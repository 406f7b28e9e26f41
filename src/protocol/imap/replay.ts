/**
 * Replays the offline queue of one account, oldest first, on an authenticated connection.
 *
 * For each operation, under the lock of its folder:
 * 1. The folder's UIDVALIDITY must equal the one recorded when the operation was queued;
 *    otherwise its UIDs may now name other messages, and the whole operation is dropped.
 * 2. UID SEARCH UID <set> tells which of its UIDs still exist; the vanished ones are dropped
 *    (never applied to whatever else), the rest are applied.
 * A folder that no longer exists drops the operation. Every drop is logged.
 *
 * When an operation fails, retrying it later is worth it only if the cause may go away:
 * - the connection is lost (or a timeout): the operation stays queued, replay stops there so the
 *   order is kept, and continues on the next reconnect;
 * - a response over one of the limits of ./limits.ts (LimitExceeded): as a temporary NO below, so
 *   a server that answers it that way every time makes it fail MAX_REPLAY_ATTEMPTS times at most;
 * - a NO with a temporary response code (UNAVAILABLE, INUSE, OVERQUOTA, LIMIT, SERVERBUG; RFC
 *   5530): it stays queued with `attempts` + 1 and replay stops there, until it has failed
 *   MAX_REPLAY_ATTEMPTS times; then it is removed and reported;
 * - any other NO or BAD (NOPERM, TRYCREATE = destination missing, CANNOT, READ-ONLY, no code at
 *   all, a malformed operation): repeating the same command gets the same answer, so it is
 *   removed, reported in `failed`, and replay goes on with the next one.
 */
import type { ImapFlow } from 'imapflow';
import { MailError } from '../errors';
import type { ProtocolLog } from '../log';
import { failureCause } from './connectionFailure';
import { ImapCommandError, withMailbox } from './operations/command';
import { setFlagsInSelected } from './operations/flags';
import { copyInSelected, CopyResult, DeleteResult, expungeInSelected, moveInSelected, MoveResult, samePath } from './operations/move';
import type { OfflineOperation } from './operations/offlineOperation';
import { runCommand } from './operations/run';
import { normalizeUids, uidSetChunks } from './operations/uidSet';

/** Failures with a temporary cause an operation may have before it is given up. */
export const MAX_REPLAY_ATTEMPTS = 5;

/** RFC 5530 response codes that describe a condition that can pass. */
const TEMPORARY_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'INUSE', 'OVERQUOTA', 'LIMIT', 'SERVERBUG']);

/** What replay needs from a queue (src/store/offlineQueue.ts implements it). */
export interface ReplayQueue {
  list(): readonly OfflineOperation[];
  remove(id: string): Promise<unknown>;
  update(id: string, patch: { uids?: number[]; attempts?: number; lastError?: string }): Promise<unknown>;
}

export type DropReason = 'uidvalidity-changed' | 'vanished' | 'folder-missing';

export interface AppliedOperation {
  operation: OfflineOperation;
  /** The UIDs it was applied to (the queued ones that still existed). */
  uids: number[];
  result?: MoveResult | CopyResult | DeleteResult;
}

export interface DroppedOperation {
  operation: OfflineOperation;
  /** The UIDs not applied: all of them, or the vanished part of a partly applied operation. */
  uids: number[];
  reason: DropReason;
}

export interface FailedOperation {
  operation: OfflineOperation;
  error: MailError;
  /** True: still queued for the next replay. False: removed (retrying cannot help, or gave up). */
  kept: boolean;
}

export interface ReplayReport {
  applied: AppliedOperation[];
  dropped: DroppedOperation[];
  failed: FailedOperation[];
  /** Operations still queued when replay ended. */
  remaining: number;
  /** Set when replay stopped early (connection lost, temporary failure, queue write failed). */
  stoppedBy?: MailError;
}

type Outcome =
  | { kind: 'dropped'; reason: DropReason; uids: number[] }
  | { kind: 'applied'; uids: number[]; vanished: number[]; result?: MoveResult | CopyResult | DeleteResult };

/**
 * Applies the queued operations in order; see the module comment for what is dropped, kept or
 * removed. Operations queued while replay runs wait for the next replay.
 */
export async function replayQueue(client: ImapFlow, queue: ReplayQueue, log: ProtocolLog): Promise<ReplayReport> {
  const report: ReplayReport = { applied: [], dropped: [], failed: [], remaining: 0 };
  const snapshot = [...queue.list()];
  try {
    for (const queued of snapshot) {
      // The user (or another replay) may have removed it meanwhile.
      const operation = queue.list().find((op) => op.id === queued.id);
      if (!operation) continue;
      const label = describe(operation);
      let outcome: Outcome;
      try {
        outcome = await replayOne(client, operation);
      } catch (thrown) {
        // A connection cut for a limit or a deadline says so (connectionFailure), not just "closed".
        const err = failureCause(client, thrown);
        const error = MailError.is(err) ? err : new MailError('Unknown', `Replaying ${label} failed.`, { cause: err, detail: String(err) });
        if (error.code === 'MailboxNotFound') {
          outcome = { kind: 'dropped', reason: 'folder-missing', uids: operation.uids };
        } else {
          const verdict = classify(client, error, operation);
          if (verdict === 'stop') {
            log.warn(`offline replay stopped at ${label}: ${error.message}${error.detail ? ` (${error.detail})` : ''}; it stays queued`);
            report.failed.push({ operation, error, kept: true });
            report.stoppedBy = error;
            break;
          }
          if (verdict === 'retry-later') {
            const attempts = (operation.attempts ?? 0) + 1;
            await queue.update(operation.id, { attempts, lastError: error.detail ?? error.message });
            log.warn(`offline replay: ${label} failed (${error.detail ?? error.message}), attempt ${attempts} of ${MAX_REPLAY_ATTEMPTS}; it stays queued and replay stops here to keep the order`);
            report.failed.push({ operation: { ...operation, attempts }, error, kept: true });
            report.stoppedBy = error;
            break;
          }
          await queue.remove(operation.id);
          log.error(`offline replay: ${label} failed and was removed, retrying cannot help: ${error.message}${error.detail ? ` (${error.detail})` : ''}`);
          report.failed.push({ operation, error, kept: false });
          continue;
        }
      }
      await queue.remove(operation.id);
      if (outcome.kind === 'dropped') {
        log.warn(`offline replay: dropped ${label}: ${dropText(outcome.reason, outcome.uids)}`);
        report.dropped.push({ operation, uids: outcome.uids, reason: outcome.reason });
        continue;
      }
      if (outcome.vanished.length) {
        log.warn(`offline replay: ${label}: ${dropText('vanished', outcome.vanished)}; applied to the other ${outcome.uids.length}`);
        report.dropped.push({ operation, uids: outcome.vanished, reason: 'vanished' });
      } else {
        log.info(`offline replay: applied ${label}`);
      }
      const applied: AppliedOperation = { operation, uids: outcome.uids };
      if (outcome.result) applied.result = outcome.result;
      report.applied.push(applied);
    }
  } catch (err) {
    // Only the queue's own writes get here (remove/update): the file could not be changed.
    const error = MailError.is(err) ? err : new MailError('StorageFailed', 'The offline queue could not be updated.', { cause: err, detail: String(err) });
    log.error(`offline replay stopped: ${error.message}${error.detail ? ` (${error.detail})` : ''}`);
    report.stoppedBy = error;
  }
  report.remaining = queue.list().length;
  return report;
}

async function replayOne(client: ImapFlow, op: OfflineOperation): Promise<Outcome> {
  const readOnly = op.kind === 'copy';
  return withMailbox(client, op.path, { readOnly, description: `replay ${op.kind}` }, async (mailbox) => {
    if (mailbox.uidValidity.toString() !== op.uidValidity) return { kind: 'dropped', reason: 'uidvalidity-changed', uids: op.uids };
    const queued = normalizeUids(op.uids);
    const present = new Set<number>();
    for (const set of uidSetChunks(queued)) {
      const found = await runCommand(client, `check which messages still exist in "${op.path}"`, () => client.search({ uid: set }, { uid: true }));
      for (const uid of found) present.add(uid);
    }
    const uids = queued.filter((u) => present.has(u));
    const vanished = queued.filter((u) => !present.has(u));
    if (!uids.length) return { kind: 'dropped', reason: 'vanished', uids: vanished };
    switch (op.kind) {
      case 'flags':
        await setFlagsInSelected(client, uids, { ...(op.add ? { add: op.add } : {}), ...(op.remove ? { remove: op.remove } : {}) });
        return { kind: 'applied', uids, vanished };
      case 'move':
        return { kind: 'applied', uids, vanished, result: await moveInSelected(client, op.path, uids, destination(op)) };
      case 'copy':
        return { kind: 'applied', uids, vanished, result: await copyInSelected(client, uids, destination(op)) };
      case 'delete': {
        let result: DeleteResult;
        if (op.to !== undefined && !samePath(op.to, op.path)) {
          const move = await moveInSelected(client, op.path, uids, op.to);
          result = { method: 'moved-to-trash', move, expunged: [], leftFlaggedDeleted: move.leftFlaggedDeleted };
        } else {
          result = await expungeInSelected(client, op.path, uids);
        }
        return { kind: 'applied', uids, vanished, result };
      }
    }
  });
}

/** 'stop': keep it and end this replay; 'retry-later': count an attempt and stop; 'remove': give up on it. */
function classify(client: ImapFlow, error: MailError, op: OfflineOperation): 'stop' | 'retry-later' | 'remove' {
  // A response over a limit cut the connection, and the next replay would meet it again: it counts
  // as a failed attempt, so a server that always answers this operation that way cannot loop it.
  if (error.code === 'LimitExceeded') return (op.attempts ?? 0) + 1 >= MAX_REPLAY_ATTEMPTS ? 'remove' : 'retry-later';
  if (!client.usable) return 'stop';
  if (!(error instanceof ImapCommandError)) {
    // Timeouts, a closed connection, a protocol error: nothing about the operation itself.
    return 'stop';
  }
  if (error.responseCode && TEMPORARY_CODES.has(error.responseCode)) {
    return (op.attempts ?? 0) + 1 >= MAX_REPLAY_ATTEMPTS ? 'remove' : 'retry-later';
  }
  return 'remove';
}

function destination(op: OfflineOperation): string {
  if (op.to === undefined) throw new ImapCommandError(`The queued ${op.kind} has no destination folder.`, undefined, undefined, { detail: 'malformed queue entry, not sent' });
  return op.to;
}

function describe(op: OfflineOperation): string {
  const what =
    op.kind === 'flags'
      ? `flags ${[...(op.add ?? []).map((f) => `+${f}`), ...(op.remove ?? []).map((f) => `-${f}`)].join(' ')}`
      : op.kind === 'delete'
        ? op.to !== undefined && !samePath(op.to, op.path) ? `delete (to "${op.to}")` : 'permanent delete'
        : `${op.kind} to "${op.to ?? '?'}"`;
  return `${what} on ${op.uids.length} message(s) in "${op.path}" (queued ${new Date(op.createdAt).toISOString()})`;
}

function dropText(reason: DropReason, uids: number[]): string {
  const list = uidSetChunks(uids, 200)[0] ?? '';
  switch (reason) {
    case 'uidvalidity-changed':
      return `the folder's UIDVALIDITY changed, so UIDs ${list} may now be other messages`;
    case 'folder-missing':
      return 'the folder no longer exists';
    case 'vanished':
      return `UIDs ${list} no longer exist (moved or deleted by another client)`;
  }
}

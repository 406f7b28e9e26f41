/**
 * An account's writes (flags, moves, copies, deletes): run on the server when it can be reached,
 * else queued durably with the folder's UIDVALIDITY (so a replay never applies them to other
 * messages) and replayed in order once the account is online again.
 */
import type { ImapFlow } from 'imapflow';
import type { AccountConfig } from '../../account';
import { MailError } from '../../errors';
import type { ProtocolLog } from '../../log';
import type { HeaderCacheStore } from '../cacheContract';
import type { OfflineOperation } from '../operations/offlineOperation';
import { replayQueue } from '../replay';
import type { ImapSupervisor } from '../supervisor';
import { isUnreachable, type PendingQueue, type WriteOutcome } from './accountTypes';

export type WriteOperation = Pick<OfflineOperation, 'kind' | 'path' | 'uids'> & Partial<Pick<OfflineOperation, 'add' | 'remove' | 'to'>>;

export interface OfflineWritesOptions {
  account: AccountConfig;
  supervisor: Pick<ImapSupervisor, 'run' | 'state'>;
  headers: HeaderCacheStore;
  /** This account's offline queue, opened once (it reads a file). */
  openQueue(): Promise<PendingQueue>;
  log: ProtocolLog;
  /** A write was queued although the account is online (others were queued before it): replay now. */
  onQueuedWhileOnline(): void;
}

export class OfflineWrites {
  private queue: PendingQueue | undefined;
  private readonly queueReady: Promise<PendingQueue>;
  private replaying: Promise<boolean> | undefined;

  constructor(private readonly options: OfflineWritesOptions) {
    this.queueReady = options.openQueue().then((q) => (this.queue = q));
    this.queueReady.catch((err: unknown) => options.log.error(`offline queue unavailable: ${String(err)}`));
  }

  /** Operations waiting for the server, oldest first. */
  pending(): readonly OfflineOperation[] {
    return this.queue?.list() ?? [];
  }

  /** Runs a write on the server, or queues it durably when the server is unreachable. */
  async write(op: WriteOperation, apply: (client: ImapFlow) => Promise<WriteOutcome>): Promise<WriteOutcome> {
    const { account, headers, supervisor, log } = this.options;
    const cache = await headers.folder(account.id, op.path);
    const uidValidity = cache.state()?.uidValidity;
    const queue = await this.queueReady;
    // With changes still queued, new ones queue behind them so the server sees them in order.
    if (queue.list().length === 0) {
      try {
        return await supervisor.run(`${op.kind} ${op.path}`, apply);
      } catch (err) {
        const error = MailError.from(err);
        if (!isUnreachable(error) || !uidValidity) throw error;
      }
    }
    if (!uidValidity) throw new MailError('Offline', `${account.label ?? account.host} is offline and this folder has not been synced yet, so the change cannot be queued.`);
    await queue.enqueue({ ...op, uidValidity });
    log.info(`offline: queued ${op.kind} of ${op.uids.length} message(s) in ${op.path}`);
    if (supervisor.state() === 'online') this.options.onQueuedWhileOnline();
    return { applied: false };
  }

  /** Replays the offline queue; resolves true when there was something to replay. */
  replay(): Promise<boolean> {
    if (this.replaying) return this.replaying;
    const replaying = this.runReplay().finally(() => {
      this.replaying = undefined;
    });
    this.replaying = replaying;
    return replaying;
  }

  private async runReplay(): Promise<boolean> {
    const { supervisor, log } = this.options;
    const queue = await this.queueReady.catch(() => undefined);
    if (!queue || queue.list().length === 0) return false;
    try {
      const report = await supervisor.run('replay offline changes', (client) => replayQueue(client, queue, log));
      log.info(`offline queue replayed: ${report.applied.length} applied, ${report.dropped.length} dropped, ${report.failed.length} failed, ${report.remaining} left`);
      for (const d of report.dropped) log.warn(`offline change dropped (${d.reason}): ${d.operation.kind} of ${d.uids.length} message(s) in ${d.operation.path}`);
      for (const f of report.failed) log.warn(`offline change failed${f.kept ? ' (kept for the next attempt)' : ''}: ${f.operation.kind} of ${f.operation.uids.length} message(s) in ${f.operation.path}: ${f.error.message}`);
      return true;
    } catch (err) {
      log.warn(`offline queue not replayed yet: ${MailError.from(err).message}`);
      return false;
    }
  }
}

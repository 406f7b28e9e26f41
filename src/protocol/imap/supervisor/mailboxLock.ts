import type { ImapFlow, MailboxLockObject } from 'imapflow';
import { toMailError } from '../../connectionErrors';
import { failureCause } from '../connectionFailure';
import { MailError } from '../../errors';

export interface MailboxLockOptions {
  /** EXAMINE instead of SELECT: reading never changes \Recent or flags. */
  readOnly?: boolean;
  /** Give up waiting for the lock after this long (MailError 'Timeout'); default 30 s. */
  acquireTimeoutMs?: number;
}

/**
 * A queued lock waits behind every earlier holder; one that waits this long is stuck behind
 * something that will not finish (imapflow issues: a command awaited inside a fetch loop).
 */
export const DEFAULT_LOCK_ACQUIRE_TIMEOUT_MS = 30_000;

/**
 * The lock discipline in one place: take the mailbox lock with an acquire timeout, run `work`,
 * release in `finally`. `work` must not issue commands inside a `for await` fetch loop (collect
 * with fetchAll first): the fetch holds the connection and the command would wait forever.
 */
export async function withMailboxLock<T>(client: ImapFlow, path: string, work: (lock: MailboxLockObject) => Promise<T>, options: MailboxLockOptions = {}): Promise<T> {
  let lock: MailboxLockObject;
  try {
    lock = await client.getMailboxLock(path, {
      readOnly: options.readOnly === true,
      acquireTimeout: options.acquireTimeoutMs ?? DEFAULT_LOCK_ACQUIRE_TIMEOUT_MS,
    });
  } catch (err) {
    const mapped = toMailError(failureCause(client, err), { host: client.host, port: client.port });
    if ((err as { code?: unknown }).code === 'LockTimeout') {
      throw new MailError('Timeout', `The folder "${path}" stayed busy with another operation; try again.`, { detail: 'LockTimeout', cause: err });
    }
    throw mapped;
  }
  try {
    return await work(lock);
  } finally {
    lock.release();
  }
}

import type { ImapFlow } from 'imapflow';
import { MailError } from '../../errors';
import type { WatchSnapshot } from './events';
import { withMailboxLock } from './mailboxLock';

/** What one poll of the watched mailbox saw; `unseen` only from STATUS. */
export interface PollSnapshot extends WatchSnapshot {
  unseen?: number;
}

/**
 * The polling fallback's look at `path` on the command connection. STATUS is not a way to check
 * the selected mailbox (RFC 3501 6.3.10): Dovecot answers it with the session's own view, unchanged
 * until the session syncs, and `[CLIENTBUG]`. After a sync of INBOX that is exactly the state of
 * this connection, so a mailbox it has selected is EXAMINEd again instead: fresh EXISTS, UIDNEXT,
 * UIDVALIDITY and HIGHESTMODSEQ, and leaving a read-write selection this way never expunges (6.4.2).
 */
export async function pollMailbox(client: ImapFlow, path: string): Promise<PollSnapshot> {
  const current = client.mailbox;
  if (current && typeof current !== 'boolean' && current.path === path) {
    return withMailboxLock(
      client,
      path,
      async () => {
        // The lock EXAMINEs when the mailbox was selected read-write; else EXAMINE again here.
        const mailbox = client.mailbox === current ? await client.mailboxOpen(path, { readOnly: true }) : client.mailbox;
        if (!mailbox || typeof mailbox === 'boolean') throw new MailError('CommandFailed', `EXAMINE ${path} failed.`);
        return withoutUndefined({
          messages: mailbox.exists,
          uidNext: mailbox.uidNext || undefined,
          uidValidity: mailbox.uidValidity?.toString(),
          highestModseq: mailbox.noModseq ? undefined : mailbox.highestModseq?.toString(),
        });
      },
      { readOnly: true },
    );
  }
  const status = await client.status(path, { messages: true, unseen: true, uidNext: true, uidValidity: true, highestModseq: true });
  if (!status) throw new MailError('CommandFailed', `STATUS ${path} failed.`);
  return withoutUndefined({
    messages: status.messages ?? 0,
    unseen: status.unseen,
    uidNext: status.uidNext,
    uidValidity: status.uidValidity?.toString(),
    highestModseq: status.highestModseq?.toString(),
  });
}

/**
 * Whether two polls differ. A poll EXAMINEs when the mailbox is selected and uses STATUS
 * otherwise, and the two do not report the same items (UNSEEN only from STATUS, HIGHESTMODSEQ as
 * the server pleases), so an optional item counts only when both polls have it.
 */
export function pollChanged(before: PollSnapshot, now: PollSnapshot): boolean {
  const differs = <T>(a: T | undefined, b: T | undefined): boolean => a !== undefined && b !== undefined && a !== b;
  return before.messages !== now.messages || differs(before.uidNext, now.uidNext) || differs(before.highestModseq, now.highestModseq) || differs(before.unseen, now.unseen);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

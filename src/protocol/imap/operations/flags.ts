/**
 * Flag changes: \Seen, \Flagged or any keyword, on UIDs; and "mark folder read".
 */
import type { ImapFlow } from 'imapflow';
import { ImapCommandError, withMailbox } from './command';
import { runCommand } from './run';
import { normalizeUids, uidSetChunks } from './uidSet';

export interface FlagChange {
  add?: string[];
  remove?: string[];
}

/** System flags and keywords (RFC 3501 flag-keyword atoms); \Recent is the server's own. */
const FLAG_PATTERN = /^\\?[^\s()\]{%*"\\\p{Cc}]+$/u;

/** UID STORE +FLAGS / -FLAGS on `uids` in `path`. UIDs that no longer exist are ignored by IMAP. */
export async function setFlags(client: ImapFlow, path: string, uids: number[], change: FlagChange): Promise<void> {
  checkFlags(change);
  if (!normalizeUids(uids).length || (!change.add?.length && !change.remove?.length)) return;
  await withMailbox(client, path, { readOnly: false, description: 'set flags' }, () => setFlagsInSelected(client, uids, change));
}

/** Same as setFlags on the mailbox the caller has selected read-write under its lock. */
export async function setFlagsInSelected(client: ImapFlow, uids: number[], change: FlagChange): Promise<void> {
  checkFlags(change);
  for (const set of uidSetChunks(uids)) {
    if (change.add?.length) {
      const add = change.add;
      await runCommand(client, `set ${add.join(' ')}`, () => client.messageFlagsAdd(set, add, { uid: true }));
    }
    if (change.remove?.length) {
      const remove = change.remove;
      await runCommand(client, `clear ${remove.join(' ')}`, () => client.messageFlagsRemove(set, remove, { uid: true }));
    }
  }
}

/**
 * Marks every unseen message of `path` read: UID SEARCH UNSEEN, then UID STORE +FLAGS (\Seen) on
 * exactly those, so messages already read keep their modification sequence (other clients resync
 * only what changed). Returns the UIDs it marked, ascending.
 */
export async function markAllRead(client: ImapFlow, path: string): Promise<number[]> {
  return withMailbox(client, path, { readOnly: false, description: 'mark folder read' }, async () => {
    const unseen = await runCommand(client, `search unread messages in "${path}"`, () => client.search({ seen: false }, { uid: true }));
    if (unseen.length) await setFlagsInSelected(client, unseen, { add: ['\\Seen'] });
    return normalizeUids(unseen);
  });
}

function checkFlags(change: FlagChange): void {
  for (const flag of [...(change.add ?? []), ...(change.remove ?? [])]) {
    if (typeof flag !== 'string' || !FLAG_PATTERN.test(flag) || flag.toLowerCase() === '\\recent') {
      throw new ImapCommandError(`"${String(flag)}" is not a flag Mailroom can set.`, undefined, undefined, { detail: 'invalid flag, not sent' });
    }
  }
}

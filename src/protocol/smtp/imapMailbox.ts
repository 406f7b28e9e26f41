/**
 * The mailbox half of sending for an IMAP account: the Sent copy, the original's flag, the
 * draft. What deliver() calls after the SMTP server accepted the message.
 */
import { MailError } from '../errors';
import type { ImapAccount } from '../imap/imapAccount';
import type { OriginalRef } from '../../store/outbox';
import type { MailboxSide } from './deliver';

export interface ImapMailboxOptions {
  /** account.saveToSent ?? true; false leaves saveSent out. */
  saveToSent: boolean;
}

export function imapMailboxSide(account: ImapAccount, options: ImapMailboxOptions): MailboxSide {
  const side: MailboxSide = {
    async markOriginal(ref: OriginalRef, flag: string): Promise<void> {
      if (ref.protocol !== 'imap') return;
      // A UID names the original only within the UIDVALIDITY it was read under: after a change
      // the same number may be another message, which must not be flagged.
      const current = await account.knownUidValidity(ref.path);
      if (current !== undefined && current !== ref.uidValidity) {
        throw new MailError('MessageNotFound', `The folder ${ref.path} was renumbered on the server since the original was read, so it was not marked ${flag}.`);
      }
      await account.setFlags(ref.path, [ref.uid], { add: [flag] });
    },
    async removeDraft(draftId: string): Promise<void> {
      const drafts = await account.specialFolder('\\Drafts');
      if (drafts) await account.deleteDraft(drafts, draftId);
    },
  };
  if (options.saveToSent) {
    side.saveSent = async (bytes: Buffer): Promise<void> => {
      const sent = await account.specialFolder('\\Sent');
      if (!sent) {
        throw new MailError('MailboxNotFound', 'The account has no Sent folder, so no copy was saved. Set "sentFolder" for this account, or create a folder named Sent.');
      }
      await account.append(sent, bytes, ['\\Seen']);
    };
  }
  return side;
}

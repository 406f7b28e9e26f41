import type { ProtocolLog } from '../protocol/log';
import type { ImapAccountRegistry } from './imapAccounts';
import type { Pop3AccountRegistry } from './pop3Accounts';
import type { MessageSourceProvider } from './messagePanel';
import { mailroomSettings } from './settings';
import type { MessageNode } from './tree/nodes';

/** Message bytes for the panels, per protocol; marks IMAP messages read on open (setting). */
export class MessageSources implements MessageSourceProvider {
  constructor(private readonly imap: ImapAccountRegistry, private readonly pop3: Pop3AccountRegistry, private readonly log: ProtocolLog) {}

  load(node: MessageNode): Promise<Buffer> {
    const loc = node.item.location;
    if (loc.protocol === 'imap') return this.imap.get(node.account).source(loc.path, loc.uid);
    return this.pop3.source(node.account, loc.uidl);
  }

  shown(node: MessageNode): void {
    const loc = node.item.location;
    if (node.item.seen || !mailroomSettings().markReadOnOpen) return;
    if (loc.protocol === 'imap') {
      void this.imap
        .get(node.account)
        .setFlags(loc.path, [loc.uid], { add: ['\\Seen'] })
        .catch((err: unknown) => this.log.warn(`marking ${loc.path} ${loc.uid} read failed: ${String(err)}`));
    } else {
      void this.pop3.setFlags(node.account, [loc.uidl], { seen: true }).catch((err: unknown) => this.log.warn(`marking a POP3 message read failed: ${String(err)}`));
    }
  }
}

/**
 * What each capability means for Mailroom, in one table. The report lists every row for the
 * endpoint's protocol with whether the server offered it.
 */
import type { CapabilityExplanation, ProbeProtocol } from '../../shared/probeReport';
import { hasCapability, hasImapToken } from './capabilityAnalysis';

interface Row {
  capability: string;
  /** Defaults to hasCapability(protocol, caps, capability). */
  offered?: (caps: readonly string[]) => boolean;
  meaning: string;
}

const anyImap = (...tokens: string[]) => (caps: readonly string[]) => tokens.some((t) => hasImapToken(caps, t));
const imapPrefix = (prefix: string) => (caps: readonly string[]) => caps.some((c) => c.toUpperCase().startsWith(prefix));

export const CAPABILITY_TABLE: Readonly<Record<ProbeProtocol, readonly Row[]>> = {
  imap: [
    { capability: 'IDLE', meaning: 'Push: new mail appears while a folder is open, without polling.' },
    { capability: 'CONDSTORE', meaning: 'Fast resync: only flags changed since the last visit are fetched (MODSEQ).' },
    { capability: 'QRESYNC', meaning: 'Fast resync including expunges: reopening a folder fetches only what changed, deletions included.' },
    { capability: 'MOVE', meaning: 'Moving a message is one atomic command; without it Mailroom copies, then deletes.' },
    { capability: 'UIDPLUS', meaning: 'Safe delete: Mailroom expunges only the messages it marked (UID EXPUNGE) and learns new UIDs after copying.' },
    { capability: 'SPECIAL-USE', meaning: 'The server names Sent, Drafts, Trash, Junk and Archive, so Mailroom shows their icons and files mail there.' },
    { capability: 'LIST-STATUS', meaning: 'Folder list and unread counts in one round trip instead of one STATUS per folder.' },
    { capability: 'COMPRESS', offered: imapPrefix('COMPRESS='), meaning: 'COMPRESS=DEFLATE: less traffic for large folder syncs on slow links.' },
    { capability: 'UTF8=ACCEPT', offered: anyImap('UTF8=ACCEPT', 'UTF8=ONLY'), meaning: 'Folder names and headers in UTF-8 without modified UTF-7 or encoded words.' },
    { capability: 'LOGINDISABLED', meaning: 'The server refuses LOGIN on this link; good on an unencrypted link, since the password waits for TLS.' },
  ],
  pop3: [
    { capability: 'UIDL', meaning: 'Needed for leave-on-server: Mailroom recognizes messages it already downloaded by their unique ids.' },
    { capability: 'TOP', meaning: 'Headers-only: Mailroom lists messages without downloading their bodies.' },
    { capability: 'PIPELINING', meaning: 'Mailroom may send several commands at once, so large mailboxes list faster.' },
    {
      capability: 'EXPIRE',
      meaning: 'The server’s own deletion policy: messages are deleted after this many days (NEVER: kept; 0: on download) whatever the account’s leave-on-server days say.',
    },
    { capability: 'LOGIN-DELAY', meaning: 'The minimum seconds between logins; Mailroom must not check more often than this.' },
    { capability: 'USER', meaning: 'USER/PASS login; on an unencrypted link this sends the password in the clear.' },
    { capability: 'STLS', meaning: 'STARTTLS for POP3: the link can be encrypted before the password is sent.' },
  ],
  smtp: [
    { capability: 'SIZE', meaning: 'The largest message the server accepts; Mailroom checks it before sending attachments.' },
    { capability: '8BITMIME', meaning: '8-bit message bodies are sent as they are instead of being re-encoded.' },
    { capability: 'SMTPUTF8', meaning: 'Addresses with non-ASCII characters (e.g. jörg@例え.jp) can be used.' },
    { capability: 'PIPELINING', meaning: 'Envelope commands are sent together, saving round trips per message.' },
    { capability: 'CHUNKING', meaning: 'BDAT: large messages go out in chunks without dot-stuffing.' },
    { capability: 'DSN', meaning: 'Delivery status notifications can be requested per recipient.' },
    { capability: 'AUTH', meaning: 'The server accepts a login, needed to send mail through it (submission).' },
    { capability: 'STARTTLS', meaning: 'The link can be encrypted before the password and the message are sent.' },
  ],
};

/** `capabilities`: everything the server listed at any stage (LOGINDISABLED and STARTTLS only show before TLS). */
export function explainCapabilities(protocol: ProbeProtocol, capabilities: readonly string[]): CapabilityExplanation[] {
  return CAPABILITY_TABLE[protocol].map((row) => {
    const offered = row.offered ? row.offered(capabilities) : hasCapability(protocol, capabilities, row.capability);
    return { capability: row.capability, offered, meaning: row.meaning };
  });
}

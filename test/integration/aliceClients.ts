// Two IMAP sessions as alice on the Dovecot fixture: Mailroom's (connected as the extension
// connects, the certificate pinned) and another client's (imapflow as a second mail client would
// use it), for tests that change the mailbox behind Mailroom's back and compare.
import { ImapFlow } from 'imapflow';
import { connectImap } from '../../src/protocol/imap/connect';
import type { ProtocolLog } from '../../src/protocol/log';
import type { DovecotFixture } from '../fixtures/dovecot';

export interface AliceClients {
  mailroom: ImapFlow;
  other: ImapFlow;
}

export async function connectAliceClients(dovecot: DovecotFixture, log: ProtocolLog): Promise<AliceClients> {
  const mailroom = await connectImap({
    account: { id: 'alice', protocol: 'imap', host: dovecot.host, port: dovecot.ports.imaps, security: 'tls', user: 'alice', trustedCertificateSha256: dovecot.certSha256 },
    password: dovecot.users.alice.password,
    log,
    timeoutMs: 10_000,
  });
  const other = new ImapFlow({ host: dovecot.host, port: dovecot.ports.imaps, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice', pass: dovecot.users.alice.password }, logger: false, disableAutoIdle: true, disableCompression: true });
  other.on('error', () => undefined);
  await other.connect();
  return { mailroom, other };
}

/** Logs both out (whichever connected), stops Dovecot. */
export async function closeAliceClients(clients: Partial<AliceClients>, dovecot: DovecotFixture | undefined): Promise<void> {
  await clients.other?.logout().catch(() => undefined);
  await clients.mailroom?.logout().catch(() => undefined);
  await dovecot?.stop();
}

// Two IMAP sessions as alice on the Dovecot fixture: Mailroom's (connected as the extension
// connects, the certificate pinned) and another client's (imapflow as a second mail client would
// use it), for tests that change the mailbox behind Mailroom's back and compare.
import { ImapFlow } from 'imapflow';
import { connectImap } from '../../src/protocol/imap/connect';
import * as assert from 'node:assert/strict';
import type { FolderCache } from '../../src/protocol/imap/cacheContract';
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

/** A folder as the other client sees it on the server, after a NOOP: uid → "flags|subject" (\Recent left out). */
export async function serverFolderState(other: ImapFlow, folder: string): Promise<Map<number, string>> {
  const lock = await other.getMailboxLock(folder);
  try {
    await other.noop();
    const rows = await other.fetchAll('1:*', { uid: true, flags: true, envelope: true });
    return new Map(rows.map((m) => [m.uid, `${[...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort().join(' ')}|${m.envelope?.subject ?? ''}`]));
  } finally {
    lock.release();
  }
}

/** The same folder as Mailroom's header cache holds it, in the same form; no UID may appear twice. */
export function cachedFolderState(cache: FolderCache): Map<number, string> {
  const rows = cache.page(0, 1_000_000);
  assert.equal(new Set(rows.map((e) => e.uid)).size, rows.length, 'no UID twice');
  return new Map(rows.map((e) => [e.uid, `${[...e.flags].sort().join(' ')}|${e.subject}`]));
}

/** Both, ordered by UID, for deepEqual. */
export function byUid(state: Map<number, string>): Array<[number, string]> {
  return [...state].sort((a, b) => a[0] - b[0]);
}

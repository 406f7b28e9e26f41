import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { ImapAccountSession } from '../../src/protocol/imap/session';
import { ProtocolLog } from '../../src/protocol/log';
import { parseMessageStream } from '../../src/protocol/mime/parseMessageStream';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { ALICE_SEED } from '../fixtures/seed';
import { requireDovecot } from './requireDovecot';
import { givenPassword } from '../../src/protocol/credentials';

function recordingLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

describe('ImapAccountSession against Dovecot', function () {
  this.timeout(60_000);
  let dovecot: DovecotFixture;
  const sessions: ImapAccountSession[] = [];

  before(async function () {
    requireDovecot(this);
    dovecot = await startDovecot();
  });
  after(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await dovecot?.stop();
  });

  const account = (overrides: Partial<AccountConfig> = {}): AccountConfig => ({
    id: 'alice',
    protocol: 'imap',
    host: dovecot.host,
    port: dovecot.ports.imaps,
    security: 'tls',
    user: dovecot.users.alice.user,
    trustedCertificateSha256: dovecot.certSha256,
    ...overrides,
  });
  const session = (acc: AccountConfig, password = dovecot.users.alice.password, log: ProtocolLog = recordingLog()): ImapAccountSession => {
    const s = new ImapAccountSession({ account: acc, credentials: givenPassword(password), log, timeoutMs: 5000 });
    sessions.push(s);
    return s;
  };
  const failureCode = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (err) {
      return MailError.is(err) ? err.code : `not a MailError: ${String(err)}`;
    }
    return 'no error';
  };

  it('lists folders with hierarchy, special use, non-ASCII names and STATUS counts over IMAPS', async () => {
    const folders = await session(account()).listFolders();
    const inbox = folders[0];
    assert.equal(inbox.path, 'INBOX');
    assert.equal(inbox.total, ALICE_SEED.inboxTotal);
    assert.equal(inbox.unseen, ALICE_SEED.inboxUnseen);
    const flat = new Map<string, (typeof folders)[number]>();
    const walk = (list: typeof folders): void => list.forEach((f) => (flat.set(f.path, f), walk(f.children)));
    walk(folders);
    for (const [path, expected] of Object.entries(ALICE_SEED.expected)) {
      const folder = flat.get(path);
      assert.ok(folder, `folder ${path} listed`);
      assert.equal(folder.total, expected.total, `${path} total`);
      assert.equal(folder.unseen, expected.unseen, `${path} unseen`);
      if (expected.specialUse) assert.equal(folder.specialUse, expected.specialUse, `${path} special use`);
    }
    assert.ok(flat.get('Projects')?.children.some((c) => c.path === 'Projects/Mailroom'));
  });

  it('pages a folder newest first with no gaps or duplicates', async () => {
    const s = session(account());
    const first = await s.fetchPage('INBOX', { pageSize: 50 });
    assert.equal(first.total, ALICE_SEED.inboxTotal);
    assert.equal(first.messages.length, 50);
    assert.equal(first.messages[0].subject, ALICE_SEED.newest.subject);
    assert.equal(first.messages[0].from?.address, ALICE_SEED.newest.from.address);
    assert.equal(first.messages[0].seen, false);
    assert.equal(first.olderThanSeq, ALICE_SEED.inboxTotal - 50);
    const second = await s.fetchPage('INBOX', { pageSize: 50, endSeq: first.olderThanSeq });
    assert.equal(second.messages.length, ALICE_SEED.inboxTotal - 50);
    assert.equal(second.olderThanSeq, undefined);
    const uids = [...first.messages, ...second.messages].map((m) => m.uid);
    assert.deepEqual(uids, ALICE_SEED.inbox.messages.map((m) => m.uid).reverse());
  });

  it('fetches a message body without marking it read, and parses it', async () => {
    const s = session(account());
    const source = await s.fetchSource('INBOX', ALICE_SEED.newest.uid);
    const parsed = await parseMessageStream(source);
    assert.equal(parsed.subject, ALICE_SEED.newest.subject);
    assert.equal(parsed.text.split(/\r?\n/)[0], ALICE_SEED.newest.firstLine);
    const page = await s.fetchPage('INBOX', { pageSize: 1 });
    assert.equal(page.messages[0].seen, false, 'BODY.PEEK leaves \\Seen alone');
  });

  it('works over STARTTLS on the plain port', async () => {
    const folders = await session(account({ port: dovecot.ports.imap, security: 'starttls' })).listFolders();
    assert.equal(folders[0].path, 'INBOX');
  });

  it('fails with CertificateUntrusted carrying the certificate when nothing is pinned', async () => {
    const s = session(account({ trustedCertificateSha256: undefined }));
    try {
      await s.listFolders();
      assert.fail('connected although the certificate is self-signed');
    } catch (err) {
      assert.ok(MailError.is(err, 'CertificateUntrusted'), String(err));
      assert.equal(err.certificate?.sha256, dovecot.certSha256);
    }
  });

  it('fails with AuthFailed on a wrong password, and the password never reaches the log', async () => {
    const log = recordingLog();
    const wrong = 'definitely-wrong-pw';
    assert.equal(await failureCode(session(account(), wrong, log).listFolders()), 'AuthFailed');
    assert.ok(log.lines.some((l) => /LOGIN/i.test(l)), 'the LOGIN dialogue is logged');
    assert.ok(!log.lines.some((l) => l.includes(wrong)), 'the password is masked');
  });

  it('never logs the real password during a successful session', async () => {
    const log = recordingLog();
    await session(account(), dovecot.users.alice.password, log).listFolders();
    assert.ok(log.lines.some((l) => l.startsWith('S: ') || l.startsWith('C: ')), 'protocol dialogue logged');
    assert.ok(!log.lines.some((l) => l.includes(dovecot.users.alice.password)));
  });

  it('refuses plaintext login on the unencrypted port unless allowed, and works when allowed', async () => {
    assert.equal(await failureCode(session(account({ port: dovecot.ports.imap, security: 'none' })).listFolders()), 'InsecureAuthRefused');
    const folders = await session(account({ port: dovecot.ports.imap, security: 'none', allowPlaintextPassword: true })).listFolders();
    assert.equal(folders[0].path, 'INBOX');
  });

  it('reports MailboxNotFound for a folder that does not exist', async () => {
    assert.equal(await failureCode(session(account()).fetchPage('No/Such/Folder', { pageSize: 5 })), 'MailboxNotFound');
  });

  it('reports TLS spoken to a STARTTLS port as a TLS failure, not a hang', async () => {
    const code = await failureCode(session(account({ port: dovecot.ports.imap, security: 'tls' })).listFolders());
    assert.ok(['TlsFailed', 'ConnectionClosed', 'Timeout', 'CertificateUntrusted'].includes(code) && code !== 'no error', code);
    assert.notEqual(code, 'Timeout');
  });

  it('reconnects once when the server dropped an idle connection', async () => {
    // A proxy we can cut: the session connects through it, we kill the link, the next call recovers.
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(dovecot.ports.imaps, dovecot.host);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const end = (): void => void (client.destroy(), upstream.destroy());
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    try {
      const s = session(account({ port: (proxy.address() as net.AddressInfo).port }));
      assert.equal((await s.listFolders())[0].path, 'INBOX');
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => setTimeout(r, 200));
      const page = await s.fetchPage('INBOX', { pageSize: 3 });
      assert.equal(page.messages.length, 3);
    } finally {
      for (const socket of sockets) socket.destroy();
      proxy.close();
    }
  });
});

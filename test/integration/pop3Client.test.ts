// The POP3 client against real Dovecot: STLS, POP3S, every login method Dovecot offers, and
// RETR bytes compared with the maildir files on the server.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { silentLog, type ProtocolLog } from '../../src/protocol/log';
import { connectPop3, type Pop3AuthMethod, type Pop3Session } from '../../src/protocol/pop3';
import { startDovecot, type DovecotFixture, type ExtraUser } from '../fixtures/dovecot';
import { buildMessage } from '../fixtures/messages';
import { requireDovecot } from './requireDovecot';

const CRLF = '\r\n';

/** UTF-8 8bit body with every kind of dot line: what node-pop3 0.11.0 corrupted. */
const DOTS_UTF8 = buildMessage({
  from: { name: 'Zoë Dot', address: 'zoe@example.test' },
  to: [{ address: 'popper@example.test' }],
  subject: 'Dots and 8-bit bytes',
  date: new Date(Date.UTC(2024, 2, 1, 9, 0, 0)),
  messageId: 'dots-utf8@mailroom.test',
  body: { kind: 'text', encoding: '8bit', text: '.signature line\n..two dots\n.\nGrüße, naïve café — 日本語\n...\nend\n' },
});

/** Raw latin-1 8bit message (bytes 0x80-0xff that are not valid UTF-8). */
const LATIN1 = Buffer.from(
  [
    'Date: Sat, 02 Mar 2024 09:00:00 +0000',
    'From: <latin@example.test>',
    'To: <popper@example.test>',
    'Subject: latin-1',
    'Message-ID: <latin1@mailroom.test>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Gr\xfc\xdfe aus K\xf6ln, \xa4 \xff\xfe',
    '.dot line with caf\xe9',
    '',
  ].join(CRLF),
  'latin1',
);

const POPPER: ExtraUser = {
  user: 'popper',
  password: 'popper-secret-4',
  folders: [
    {
      path: 'INBOX',
      messages: [
        { raw: DOTS_UTF8, date: new Date(Date.UTC(2024, 2, 1, 9, 0, 0)) },
        { raw: LATIN1, date: new Date(Date.UTC(2024, 2, 2, 9, 0, 0)) },
      ],
    },
  ],
};

const DELETER: ExtraUser = {
  user: 'deleter',
  password: 'deleter-secret-5',
  folders: [
    {
      path: 'INBOX',
      messages: [1, 2, 3].map((n) => ({
        raw: buildMessage({
          from: { address: 'a@example.test' },
          to: [{ address: 'deleter@example.test' }],
          subject: `to delete ${n}`,
          date: new Date(Date.UTC(2024, 3, n, 9, 0, 0)),
          messageId: `del-${n}@mailroom.test`,
          body: { kind: 'text', text: `message ${n}` },
        }),
        date: new Date(Date.UTC(2024, 3, n, 9, 0, 0)),
      })),
    },
  ],
};

function maildirFiles(fixture: DovecotFixture, user: string): Buffer[] {
  const cur = path.join(fixture.home(user), 'Maildir', 'cur');
  const newDir = path.join(fixture.home(user), 'Maildir', 'new');
  const files = [...fs.readdirSync(cur).map((f) => path.join(cur, f)), ...fs.readdirSync(newDir).map((f) => path.join(newDir, f))];
  return files.map((f) => fs.readFileSync(f));
}

function sameBytesSet(actual: Buffer[], expected: Buffer[]): boolean {
  const key = (b: Buffer): string => b.toString('base64');
  return JSON.stringify(actual.map(key).sort()) === JSON.stringify(expected.map(key).sort());
}

describe('POP3 client against Dovecot', function () {
  this.timeout(60_000);
  let fixture: DovecotFixture;
  const open: Pop3Session[] = [];

  before(async function () {
    requireDovecot(this);
    fixture = await startDovecot({ extraUsers: [POPPER, DELETER] });
  });

  after(async () => {
    for (const s of open) s.close();
    await fixture?.stop();
  });

  function account(security: AccountConfig['security'], user: string, patch: Partial<AccountConfig> = {}): AccountConfig {
    const port = security === 'tls' ? fixture.ports.pop3s : fixture.ports.pop3;
    return { id: `pop3-${user}`, protocol: 'pop3', host: fixture.host, port, security, user, trustedCertificateSha256: fixture.certSha256, ...patch };
  }

  async function connect(
    security: AccountConfig['security'],
    user: { user: string; password: string },
    options: { auth?: Pop3AuthMethod; log?: ProtocolLog; accountPatch?: Partial<AccountConfig> } = {},
  ): Promise<Pop3Session> {
    const session = await connectPop3({
      account: account(security, user.user, options.accountPatch),
      password: user.password,
      log: options.log ?? silentLog,
      timeoutMs: 10_000,
      ...(options.auth ? { auth: options.auth } : {}),
    });
    open.push(session);
    return session;
  }

  it('keeps what node-pop3 0.11.0 corrupted: dot-stuffed lines and 8-bit bytes come back byte-exact', async () => {
    const session = await connect('starttls', POPPER);
    const first = await session.retr(1);
    const second = await session.retr(2);
    await session.quit();
    // node-pop3 returned "..signature line" (no unstuffing) and U+FFFD for every 8-bit byte.
    assert.ok(first.equals(DOTS_UTF8), 'dot lines and UTF-8 8bit body are byte-exact');
    assert.ok(first.includes(Buffer.from('\r\n.signature line\r\n..two dots\r\n.\r\n')));
    assert.ok(second.equals(LATIN1), 'latin-1 bytes are byte-exact');
    assert.ok(second.includes(Buffer.from([0xfc, 0xdf, 0x65])));
    assert.ok(!second.includes(Buffer.from('\ufffd', 'utf8')));
    assert.ok(sameBytesSet([first, second], maildirFiles(fixture, 'popper')), 'identical to the maildir files on the server');
  });

  it('over STLS: STAT, LIST, UIDL, TOP and pipelined RETR of 60 messages match the maildir files', async () => {
    const alice = fixture.users.alice;
    const session = await connect('starttls', alice);
    assert.equal(session.state, 'transaction');
    assert.ok(session.capabilities.pipelining, 'Dovecot offers PIPELINING');
    const files = maildirFiles(fixture, 'alice');
    const stat = await session.stat();
    assert.equal(stat.count, files.length);
    assert.equal(stat.size, files.reduce((s, f) => s + f.length, 0));
    const list = await session.list();
    assert.deepEqual(
      list.map((l) => l.size).sort((a, b) => a - b),
      files.map((f) => f.length).sort((a, b) => a - b),
    );
    const uidl = await session.uidl();
    assert.equal(uidl.length, files.length);
    assert.equal(new Set(uidl.map((u) => u.uid)).size, files.length);

    const got: Buffer[] = [];
    await session.retrMany(
      list.map((l) => l.msg),
      (msg, bytes) => {
        assert.equal(bytes.length, list[msg - 1].size, `message ${msg} has its LIST size`);
        got.push(bytes);
      },
    );
    assert.ok(sameBytesSet(got, files), 'RETR bytes identical to the maildir files');

    const top = await session.top(1, 0);
    const headerEnd = got[0].indexOf('\r\n\r\n') + 4;
    assert.ok(top.equals(got[0].subarray(0, headerEnd)), 'TOP n 0 is the header block');
    await session.quit();
  });

  it('over POP3S (implicit TLS) with the pinned certificate', async () => {
    const session = await connect('tls', POPPER);
    assert.ok((await session.retr(2)).equals(LATIN1));
    await session.quit();
  });

  it('refuses an unpinned self-signed certificate with CertificateUntrusted, before login', async () => {
    for (const security of ['tls', 'starttls'] as const) {
      const err = await connectPop3({
        account: account(security, 'alice', { trustedCertificateSha256: undefined }),
        password: fixture.users.alice.password,
        log: silentLog,
        timeoutMs: 10_000,
      }).then(
        () => assert.fail('connected'),
        (e: unknown) => e,
      );
      assert.ok(MailError.is(err, 'CertificateUntrusted'), `${security}: ${String(err)}`);
      assert.equal(err.certificate?.sha256, fixture.certSha256);
    }
  });

  for (const method of ['apop', 'plain', 'cram-md5', 'login', 'user'] as const) {
    it(`logs in with ${method.toUpperCase()} over STLS`, async () => {
      const lines: string[] = [];
      const log: ProtocolLog = { trace: (m) => lines.push(m), debug: () => undefined, info: (m) => lines.push(m), warn: () => undefined, error: () => undefined };
      const session = await connect('starttls', POPPER, { auth: method, log });
      assert.equal((await session.stat()).count, 2);
      await session.quit();
      assert.ok(lines.some((l) => l.includes(`with ${method.toUpperCase()}`)));
      assert.ok(!lines.join('\n').includes(POPPER.password), 'password not logged');
    });
  }

  it('logs in over a plaintext connection only when the account allows it', async () => {
    await assert.rejects(
      connect('none', POPPER, { accountPatch: { trustedCertificateSha256: undefined } }),
      (e: unknown) => MailError.is(e, 'InsecureAuthRefused'),
    );
    const session = await connect('none', POPPER, { accountPatch: { allowPlaintextPassword: true, trustedCertificateSha256: undefined } });
    assert.equal((await session.stat()).count, 2);
    await session.quit();
  });

  it('reports a wrong password as AuthFailed', async () => {
    for (const method of ['user', 'plain', 'apop'] as const) {
      const err = await connect('starttls', { user: 'popper', password: 'not-the-password' }, { auth: method }).then(
        () => assert.fail('logged in'),
        (e: unknown) => e,
      );
      assert.ok(MailError.is(err, 'AuthFailed'), `${method}: ${String(err)}`);
      assert.ok(!err.message.includes('not-the-password'));
    }
  });

  it('reports XOAUTH2 as Unsupported when Dovecot does not offer it', async () => {
    await assert.rejects(
      connect('starttls', POPPER, { auth: 'xoauth2' }),
      (e: unknown) => MailError.is(e, 'Unsupported'),
    );
  });

  it('rolls DELE back when the session is closed without QUIT, and commits it with QUIT', async () => {
    const before = maildirFiles(fixture, 'deleter');
    assert.equal(before.length, 3);

    const dropped = await connect('starttls', DELETER);
    const uidsBefore = await dropped.uidl();
    await dropped.dele(1);
    assert.equal((await dropped.stat()).count, 2);
    dropped.close();

    const committing = await connect('starttls', DELETER);
    assert.equal((await committing.stat()).count, 3, 'rolled back');
    const first = await committing.retr(1);
    await committing.dele(1);
    await committing.quit();
    assert.equal(committing.state, 'closed');

    const after = await connect('starttls', DELETER);
    const uidsAfter = await after.uidl();
    await after.quit();
    assert.deepEqual(
      uidsAfter.map((u) => u.uid),
      uidsBefore.slice(1).map((u) => u.uid),
      'the first message is gone, the others keep their UIDL',
    );
    const files = maildirFiles(fixture, 'deleter');
    assert.equal(files.length, 2);
    assert.ok(!files.some((f) => f.equals(first)), 'its maildir file was removed');
  });
});

// Sending as an identity, through the compose path (compose document → outbox → deliverEntry):
// an identity with its own SMTP server goes there with its own login (STARTTLS, pinned), others
// through the account's server with the account's login; the From, Reply-To and signature are the
// identity's; a refused identity password leaves the message in the outbox and never tries the
// account's password; no password reaches the log.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { simpleParser } from 'mailparser';
import { AccountConfig, parseAccountConfig } from '../../src/protocol/account';
import { passwordCredentials } from '../../src/protocol/credentials';
import type { ProtocolLog } from '../../src/protocol/log';
import { serializeComposeDocument } from '../../src/protocol/smtp/composeDocument';
import { accountIdentities } from '../../src/protocol/smtp/identities';
import { newMessageBody } from '../../src/protocol/smtp/signature';
import { deliverEntry, enqueue, prepareMessage, SendingDeps } from '../../src/providers/compose/sending';
import type { ImapAccountRegistry } from '../../src/providers/imapAccounts';
import type { Pop3AccountRegistry } from '../../src/providers/pop3Accounts';
import { ComposeStore } from '../../src/store/composeStore';
import { Outbox } from '../../src/store/outbox';
import { generateCertificate, GeneratedCertificate } from '../fixtures/net';
import { SmtpSink, startSmtpSink } from '../fixtures/smtpSink';

const ACCOUNT_PASSWORD = 'account-secret-8812';
const SIDE_USER = 'side-login';
const SIDE_PASSWORD = 'side-secret-5530';

describe('sending as an identity with its own SMTP server (SMTP sinks)', function () {
  this.timeout(60_000);
  let tmp: string;
  let cert: GeneratedCertificate;
  let accountSink: SmtpSink;
  let sideSink: SmtpSink;
  let account: AccountConfig;
  let store: ComposeStore;
  let outbox: Outbox;
  const lines: string[] = [];
  const log: ProtocolLog = { trace: (m) => void lines.push(m), debug: (m) => void lines.push(m), info: (m) => void lines.push(m), warn: (m) => void lines.push(m), error: (m) => void lines.push(m) };
  let sidePassword = SIDE_PASSWORD;
  /** How often the account's password was handed to a login. */
  let accountLogins = 0;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-identity-send-'));
    cert = generateCertificate(tmp);
    accountSink = await startSmtpSink({ users: { alice: ACCOUNT_PASSWORD }, requireAuth: true, disableStartTls: true });
    sideSink = await startSmtpSink({ key: cert.keyPem, cert: cert.certPem, users: { [SIDE_USER]: SIDE_PASSWORD }, requireAuth: true });
    account = parseAccountConfig({
      id: 'alice-identities',
      protocol: 'pop3',
      host: '127.0.0.1',
      port: 110,
      security: 'tls',
      user: 'alice',
      email: 'alice@example.test',
      name: 'Alice Example',
      smtp: { host: '127.0.0.1', port: accountSink.port, security: 'none', allowPlaintextPassword: true },
      identities: [
        {
          address: 'alice@side.example',
          name: 'Alice on the Side',
          replyTo: ['desk@side.example'],
          signature: 'Alice\n*Side Project*',
          smtp: { host: '127.0.0.1', port: sideSink.port, security: 'starttls', user: SIDE_USER, trustedCertificateSha256: cert.sha256 },
        },
      ],
    });
    store = await ComposeStore.open(path.join(tmp, 'compose'));
    outbox = new Outbox(path.join(tmp, 'outbox'));
  });
  after(async () => {
    outbox?.dispose();
    await accountSink?.stop();
    await sideSink?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const deps = (): SendingDeps => ({
    store,
    outbox,
    // A POP3 account has no server-side mailbox steps: neither registry is asked for anything.
    imap: {} as ImapAccountRegistry,
    pop3: {} as Pop3AccountRegistry,
    log,
    credentials: () =>
      passwordCredentials(async () => {
        accountLogins++;
        return ACCOUNT_PASSWORD;
      }, 'alice'),
    identityCredentials: (_account, identity) => passwordCredentials(async () => (identity.address === 'alice@side.example' ? sidePassword : undefined), identity.address),
    timeoutMs: () => 5000,
  });

  /** What Send does with a compose document: prepare, outbox, deliver. */
  async function sendDocument(from: string, subject: string, body: string): Promise<{ outcome: Awaited<ReturnType<typeof deliverEntry>>; outboxId: string }> {
    const text = serializeComposeDocument({ from, to: 'Bob <bob@example.test>', subject, body });
    const meta = await store.create({ accountId: account.id, mode: 'new', subject, text });
    const ready = await prepareMessage(store, meta, account, text, 'send');
    const entry = await enqueue(deps(), meta, ready);
    return { outcome: await deliverEntry(deps(), entry.id, account), outboxId: entry.id };
  }

  it('sends as the identity through its own server with its own login: From, Reply-To and signature are the identity’s', async () => {
    const side = accountIdentities(account).find((i) => i.address === 'alice@side.example')!;
    const { outcome } = await sendDocument('Alice on the Side <alice@side.example>', 'From the side', newMessageBody(side.signature, 'Hello Bob.'));
    assert.equal(outcome.status, 'sent', JSON.stringify(outcome));
    assert.equal(accountLogins, 0, 'the account’s password was not used');
    const [mail] = await sideSink.waitForMail(1);
    assert.equal(mail!.user, SIDE_USER, 'the identity’s login, not the account’s');
    assert.equal(mail!.from, 'alice@side.example', 'MAIL FROM is the identity');
    assert.deepEqual(mail!.to, ['bob@example.test']);
    const parsed = await simpleParser(mail!.raw);
    assert.equal(parsed.from?.value[0]?.address, 'alice@side.example');
    assert.equal(parsed.from?.value[0]?.name, 'Alice on the Side');
    assert.equal(parsed.replyTo?.value[0]?.address, 'desk@side.example');
    assert.match(parsed.text ?? '', /^Hello Bob\.\n\n-- \nAlice\n\*Side Project\*\n?$/, 'the signature under its "-- " delimiter (space kept)');
    assert.match(String(parsed.html), /Side Project<\/em>/, 'the Markdown signature rendered in the HTML part');
    assert.equal(accountSink.received.length, 0, 'nothing went through the account’s server');
  });

  it('sends as the account’s own address through the account’s server with the account’s login', async () => {
    const { outcome } = await sendDocument('Alice Example <alice@example.test>', 'From the account', 'Plain.\n');
    assert.equal(outcome.status, 'sent', JSON.stringify(outcome));
    const [mail] = await accountSink.waitForMail(1);
    assert.equal(mail!.user, 'alice');
    assert.equal(mail!.from, 'alice@example.test');
    assert.doesNotMatch(mail!.raw.toString('utf8'), /^Reply-To:/im);
    assert.equal(sideSink.received.length, 1, 'the identity’s server got nothing more');
  });

  it('a refused identity password keeps the message in the outbox with the reason; the account’s password is never tried there', async () => {
    sidePassword = 'wrong-side-password';
    const loginsBefore = accountLogins;
    try {
      const { outcome, outboxId } = await sendDocument('alice@side.example', 'Refused', 'x\n');
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.status === 'failed' ? outcome.error.code : '', 'AuthFailed');
      assert.match(outcome.status === 'failed' ? outcome.error.message : '', new RegExp(`127\\.0\\.0\\.1:${sideSink.port}`), 'the error names the identity’s server');
      const entry = (await outbox.list()).find((e) => e.id === outboxId);
      assert.equal(entry?.state, 'failed');
      assert.equal(sideSink.received.length, 1);
      assert.equal(accountSink.received.length, 1);
      assert.equal(accountLogins, loginsBefore, 'the account’s password was not used');
    } finally {
      sidePassword = SIDE_PASSWORD;
    }
  });

  it('an identity without a stored password says how to store one', async () => {
    const saved = sidePassword;
    sidePassword = '';
    try {
      const { outcome } = await sendDocument('alice@side.example', 'No password', 'x\n');
      assert.equal(outcome.status === 'failed' ? outcome.error.code : outcome.status, 'PasswordMissing');
    } finally {
      sidePassword = saved;
    }
  });

  it('never writes a password to the log', () => {
    assert.ok(lines.some((l) => /AUTH/.test(l)), 'the SMTP dialogue was logged');
    for (const secret of [ACCOUNT_PASSWORD, SIDE_PASSWORD, 'wrong-side-password', Buffer.from(`\0${SIDE_USER}\0${SIDE_PASSWORD}`).toString('base64')]) {
      assert.ok(!lines.some((l) => l.includes(secret)), `no log line holds ${secret.slice(0, 4)}…`);
    }
  });
});

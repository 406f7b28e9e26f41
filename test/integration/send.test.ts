// Sending end to end: reply/forward built from a message in Dovecot, sent through a real SMTP
// sink (smtp-server) over STARTTLS or implicit TLS with the fixture's certificate pinned, the
// Sent copy APPENDed to Dovecot, \Answered/$Forwarded set, drafts replaced, and failures that
// leave the message in the outbox with the server's words.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import { simpleParser, AddressObject } from 'mailparser';
import type { AccountConfig, SmtpConfig } from '../../src/protocol/account';
import { ownAddresses } from '../../src/protocol/account';
import { connectImap } from '../../src/protocol/imap/connect';
import { silentLog } from '../../src/protocol/log';
import type { MailAddress, ParsedMessage } from '../../src/protocol/mime/types';
import { buildMimeMessage, OutgoingMessage } from '../../src/protocol/smtp/buildMessage';
import { deliver, DeliveryOutcome } from '../../src/protocol/smtp/deliver';
import { imapMailboxSide } from '../../src/protocol/smtp/imapMailbox';
import { buildForward, buildReply, DraftContent } from '../../src/protocol/smtp/reply';
import { sendRaw } from '../../src/protocol/smtp/send';
import { Outbox, OutboxEntry } from '../../src/store/outbox';
import { BuiltAccount, buildAccount, recordingLog, RecordingLog } from '../fixtures/accountHarness';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { FIXTURE_USERS } from '../fixtures/seed';
import { REJECTED_RECIPIENT_TEXT, SmtpSink, SmtpSinkOptions, startSmtpSink } from '../fixtures/smtpSink';
import { requireDovecot } from './requireDovecot';

const ALICE = FIXTURE_USERS.alice;
const SMTP_PASSWORD = 'smtp-pass-4711';

/** mailparser's result in the MIME layer's shape (only what the reply builder reads). */
async function parsed(bytes: Buffer): Promise<ParsedMessage> {
  const m = await simpleParser(bytes);
  const list = (a: AddressObject | AddressObject[] | undefined): MailAddress[] =>
    (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => ({ name: v.name ?? '', address: v.address ?? '' })));
  const refs = typeof m.references === 'string' ? [m.references] : m.references ?? [];
  const strip = (s: string | undefined): string | undefined => s?.replace(/^<|>$/g, '');
  return {
    headers: [],
    subject: m.subject ?? '',
    from: list(m.from),
    to: list(m.to),
    cc: list(m.cc),
    bcc: [],
    replyTo: list(m.replyTo),
    ...(m.date ? { date: m.date.toISOString() } : {}),
    ...(m.messageId ? { messageId: strip(m.messageId) } : {}),
    ...(m.inReplyTo ? { inReplyTo: strip(m.inReplyTo) } : {}),
    references: refs.map((r) => r.replace(/^<|>$/g, '')),
    text: m.text ?? '',
    textTruncated: false,
    htmlSkipped: false,
    attachments: [],
    inlineImages: {},
    containsPatch: false,
  };
}

describe('sending (Dovecot + SMTP sink)', function () {
  this.timeout(60_000);
  let dovecot: DovecotFixture;
  let tmp: string;
  const sinks: SmtpSink[] = [];
  let imap: BuiltAccount;
  let checker: ImapFlow;

  const imapConfig = (smtp: SmtpConfig): AccountConfig => ({
    id: 'alice',
    protocol: 'imap',
    host: '127.0.0.1',
    port: dovecot.ports.imap,
    security: 'none',
    allowPlaintextPassword: true,
    user: ALICE.user,
    email: 'alice@example.test',
    name: 'Alice Example',
    aliases: ['alice.alias@example.test'],
    smtp,
  });

  async function sink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
    const s = await startSmtpSink({ key: dovecot.keyPem, cert: dovecot.certPem, users: { alice: SMTP_PASSWORD }, requireAuth: true, ...options });
    sinks.push(s);
    return s;
  }

  const starttls = (s: SmtpSink): SmtpConfig => ({ host: '127.0.0.1', port: s.port, security: 'starttls', trustedCertificateSha256: dovecot.certSha256 });

  before(async function () {
    requireDovecot(this);
    dovecot = await startDovecot();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-send-'));
    const base: AccountConfig = { id: 'alice', protocol: 'imap', host: '127.0.0.1', port: dovecot.ports.imap, security: 'none', allowPlaintextPassword: true, user: ALICE.user };
    imap = buildAccount(base, ALICE.password, { root: fs.mkdtempSync(path.join(tmp, 'store-')) });
    checker = await connectImap({ account: base, password: ALICE.password, log: silentLog, timeoutMs: 5000 });
  });
  after(async () => {
    await Promise.all(sinks.map((s) => s.stop()));
    if (checker) await checker.logout().catch(() => checker.close());
    if (imap) await imap.account.close();
    await dovecot?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  interface Sent {
    outcome: DeliveryOutcome;
    outbox: Outbox;
    entry: OutboxEntry;
    built: Awaited<ReturnType<typeof buildMimeMessage>>;
    log: RecordingLog;
  }

  /** The compose tab's "Send": build, store in the outbox, deliver. */
  async function send(smtp: SmtpConfig, draft: DraftContent, extra: Partial<OutgoingMessage> & { original?: OutboxEntry['original']; originalFlag?: OutboxEntry['originalFlag']; password?: string; draftId?: string } = {}): Promise<Sent> {
    const account = imapConfig(smtp);
    const message: OutgoingMessage = {
      from: draft.from ?? { name: 'Alice Example', address: 'alice@example.test' },
      to: draft.to,
      cc: draft.cc,
      bcc: extra.bcc ?? draft.bcc,
      subject: draft.subject,
      markdown: `Sounds good.\n${draft.body}`,
      references: draft.references,
      attachments: [],
      ...(draft.inReplyTo ? { inReplyTo: draft.inReplyTo } : {}),
    };
    const built = await buildMimeMessage(message);
    const outbox = new Outbox(fs.mkdtempSync(path.join(tmp, 'outbox-')));
    const entry = await outbox.add(
      {
        accountId: account.id,
        subject: message.subject,
        recipients: built.envelope.to,
        envelope: built.envelope,
        ...(extra.original ? { original: extra.original } : {}),
        ...(extra.originalFlag ? { originalFlag: extra.originalFlag } : {}),
        ...(extra.draftId ? { draftId: extra.draftId } : {}),
      },
      built,
    );
    const log = recordingLog();
    const password = extra.password ?? SMTP_PASSWORD;
    const outcome = await deliver(entry.id, {
      outbox,
      send: (envelope, raw) => sendRaw({ account, password, log, timeoutMs: 5000 }, envelope, raw),
      mailbox: imapMailboxSide(imap.account, { saveToSent: true }),
      log,
    });
    return { outcome, outbox, entry, built, log };
  }

  async function original(uid: number): Promise<ParsedMessage> {
    return parsed(await imap.account.source('INBOX', uid));
  }

  /**
   * INBOX's UIDVALIDITY as the server has it: deliver() refuses to flag an original read under
   * another one, and whether the account has synced INBOX yet depends on timing.
   */
  async function inboxUidValidity(): Promise<string> {
    const status = await checker.status('INBOX', { uidValidity: true });
    assert.ok(status && status.uidValidity !== undefined, 'STATUS gave UIDVALIDITY');
    return String(status.uidValidity);
  }

  async function flagsOf(folder: string, uid: number): Promise<string[]> {
    const lock = await checker.getMailboxLock(folder, { readOnly: true });
    try {
      await checker.noop();
      const row = await checker.fetchOne(String(uid), { flags: true }, { uid: true });
      return row ? [...(row.flags ?? [])] : [];
    } finally {
      lock.release();
    }
  }

  /** Full source of every message in `folder` whose `header` contains `value`. */
  async function findBy(folder: string, header: string, value: string): Promise<Buffer[]> {
    const lock = await checker.getMailboxLock(folder, { readOnly: true });
    try {
      await checker.noop(); // a mailbox selected earlier learns of new messages (EXISTS) first
      const uids = (await checker.search({ header: { [header]: value } }, { uid: true })) || [];
      const out: Buffer[] = [];
      for (const uid of uids) {
        const row = await checker.fetchOne(String(uid), { source: true, flags: true }, { uid: true });
        if (row && row.source && !row.flags?.has('\\Deleted')) out.push(row.source);
      }
      return out;
    } finally {
      lock.release();
    }
  }

  it('reply all: threading headers at the sink and in Sent, recipients in RCPT TO, Bcc only in the Sent copy, \\Answered set', async () => {
    const s = await sink();
    const orig = await original(3);
    const draft = buildReply(orig, { all: true, own: ownAddresses(imapConfig(starttls(s))) });
    const bcc = [{ name: 'Secret Sam', address: 'sam@example.net' }];
    const sent = await send(starttls(s), draft, { bcc, original: { protocol: 'imap', path: 'INBOX', uidValidity: await inboxUidValidity(), uid: 3 }, originalFlag: '\\Answered' });
    assert.deepEqual(sent.outcome, { status: 'sent', rejected: [], warnings: [] });

    const [mail] = await s.waitForMail(1);
    assert.equal(mail.user, 'alice');
    assert.equal(mail.from, 'alice@example.test');
    const expectedTo = [...draft.to, ...draft.cc].map((a) => a.address);
    assert.deepEqual(mail.to, [...expectedTo, 'sam@example.net']);
    assert.ok(!expectedTo.some((a) => a.toLowerCase().startsWith('alice')), 'own address left out');
    assert.ok(mail.raw.equals(sent.built.wire), 'the sink got exactly the built bytes');
    assert.ok(!/^bcc:/im.test(mail.raw.toString('latin1')), 'no Bcc header on the wire');
    assert.ok(!mail.raw.includes('sam@example.net'));
    const atSink = await simpleParser(mail.raw);
    assert.ok(orig.messageId);
    assert.equal(atSink.inReplyTo, `<${orig.messageId}>`);
    const parents = orig.references.length ? orig.references : orig.inReplyTo ? [orig.inReplyTo] : [];
    const refs = typeof atSink.references === 'string' ? [atSink.references] : atSink.references;
    assert.deepEqual(refs, [...parents, orig.messageId].map((r) => `<${r}>`));

    const copies = await findBy('Sent', 'Message-ID', sent.built.messageId);
    assert.equal(copies.length, 1);
    assert.ok(copies[0].equals(Buffer.concat([Buffer.from('Bcc: Secret Sam <sam@example.net>\r\n'), mail.raw])), 'Sent copy = Bcc line + the wire bytes');
    assert.ok((await flagsOf('INBOX', 3)).includes('\\Answered'));
    assert.deepEqual(await sent.outbox.list(), []);
    assert.ok(!sent.log.lines.some((l) => l.includes(SMTP_PASSWORD)), 'password never logged');
    assert.ok(sent.log.lines.some((l) => /C: AUTH PLAIN \(secret\)/.test(l)), 'the AUTH line is there, masked');
    // The server's capability line is no secret: it says which mechanisms it offers.
    assert.ok(
      sent.log.lines.some((l) => /S: 250[ -]AUTH PLAIN LOGIN CRAM-MD5$/.test(l)),
      sent.log.lines.filter((l) => /AUTH/.test(l)).join('\n'),
    );
    assert.ok(!sent.log.lines.some((l) => l.includes('Sounds good')), 'message content stays out of the log');
    assert.ok(sent.log.lines.some((l) => /STARTTLS/.test(l)), 'the SMTP dialogue is in the log');
  });

  it('forward as attachment: $Forwarded on the original, new thread', async () => {
    const s = await sink();
    const draft = buildForward(await original(4), { asAttachment: true });
    draft.to = [{ name: 'Bob', address: 'bob@example.net' }];
    const sent = await send(starttls(s), draft, { original: { protocol: 'imap', path: 'INBOX', uidValidity: await inboxUidValidity(), uid: 4 }, originalFlag: '$Forwarded' });
    assert.equal(sent.outcome.status, 'sent');
    const [mail] = await s.waitForMail(1);
    const p = await simpleParser(mail.raw);
    assert.match(p.subject ?? '', /^Fwd: /);
    assert.equal(p.inReplyTo, undefined);
    assert.ok((await flagsOf('INBOX', 4)).includes('$Forwarded'));
  });

  it('implicit TLS on an SMTPS port with the pinned certificate', async () => {
    const s = await sink({ secure: true });
    const draft = buildReply(await original(5), { all: false, own: [] });
    const sent = await send({ host: '127.0.0.1', port: s.port, security: 'tls', trustedCertificateSha256: dovecot.certSha256 }, draft);
    assert.equal(sent.outcome.status, 'sent');
    assert.equal((await s.waitForMail(1))[0].user, 'alice');
  });

  it('refuses an unpinned self-signed certificate before sending anything', async () => {
    const s = await sink();
    const draft = buildReply(await original(5), { all: false, own: [] });
    const sent = await send({ host: '127.0.0.1', port: s.port, security: 'starttls' }, draft);
    assert.equal(sent.outcome.status, 'failed');
    assert.ok(sent.outcome.status === 'failed' && sent.outcome.error.code === 'CertificateUntrusted', sent.outcome.status === 'failed' ? sent.outcome.error.code : '');
    assert.equal(s.received.length, 0);
    assert.equal((await sent.outbox.list())[0].state, 'failed');
  });

  it('a server without STARTTLS is refused: nothing sent, the message kept', async () => {
    for (const pinned of [true, false]) {
      const s = await sink({ disableStartTls: true, requireAuth: false });
      const draft = buildReply(await original(6), { all: false, own: [] });
      const smtp: SmtpConfig = { host: '127.0.0.1', port: s.port, security: 'starttls', ...(pinned ? { trustedCertificateSha256: dovecot.certSha256 } : {}) };
      const sent = await send(smtp, draft);
      assert.ok(sent.outcome.status === 'failed', `pinned=${pinned}`);
      assert.equal(sent.outcome.error.code, 'StartTlsUnavailable', `pinned=${pinned}: ${sent.outcome.error.message}`);
      assert.equal(s.received.length, 0);
      const [kept] = await sent.outbox.list();
      assert.equal(kept.state, 'failed');
      assert.equal(kept.lastError?.code, 'StartTlsUnavailable');
      assert.ok((await sent.outbox.read(kept.id)).wire.equals(sent.built.wire));
    }
  });

  it('refuses to send the password unencrypted unless smtp.allowPlaintextPassword is set', async () => {
    const s = await sink();
    const draft = buildReply(await original(7), { all: false, own: [] });
    const refused = await send({ host: '127.0.0.1', port: s.port, security: 'none' }, draft);
    assert.ok(refused.outcome.status === 'failed' && refused.outcome.error.code === 'InsecureAuthRefused');
    assert.match(refused.outcome.error.message, /allowPlaintextPassword/);
    assert.equal(s.received.length, 0);
    const allowed = await send({ host: '127.0.0.1', port: s.port, security: 'none', allowPlaintextPassword: true }, draft);
    assert.equal(allowed.outcome.status, 'sent');
  });

  it('an auth failure leaves the message in the outbox with the server reply', async () => {
    const s = await sink();
    const draft = buildReply(await original(8), { all: false, own: [] });
    const sent = await send(starttls(s), draft, { password: 'wrong-password' });
    assert.ok(sent.outcome.status === 'failed');
    assert.equal(sent.outcome.error.code, 'AuthFailed');
    const [kept] = await sent.outbox.list();
    assert.equal(kept.state, 'failed');
    assert.equal(kept.lastError?.code, 'AuthFailed');
    assert.match(kept.lastError?.response ?? '', /535/);
    assert.match(kept.lastError?.message ?? '', /Invalid username or password/);
    assert.ok(!JSON.stringify(kept).includes('wrong-password'));
    assert.equal(s.received.length, 0);
    assert.equal((await findBy('Sent', 'Message-ID', sent.built.messageId)).length, 0, 'nothing in Sent');
  });

  it('a rejected recipient: every recipient refused → failed with the reason; some refused → partial, the rest delivered', async () => {
    const s = await sink({ rejectRecipients: ['ghost@example.net'] });
    const base = buildReply(await original(9), { all: false, own: [] });
    const all = await send(starttls(s), { ...base, to: [{ name: 'Ghost', address: 'ghost@example.net' }] });
    assert.ok(all.outcome.status === 'failed');
    assert.equal(all.outcome.error.code, 'RecipientRejected');
    const [kept] = await all.outbox.list();
    assert.equal(kept.state, 'failed');
    assert.match(kept.lastError?.response ?? '', new RegExp(REJECTED_RECIPIENT_TEXT));
    assert.equal(s.received.length, 0);

    const some = await send(starttls(s), { ...base, to: [{ name: 'Ghost', address: 'ghost@example.net' }, { name: 'Real', address: 'real@example.net' }] });
    assert.ok(some.outcome.status === 'partial', JSON.stringify(some.outcome));
    assert.deepEqual(some.outcome.rejected.map((r) => r.address), ['ghost@example.net']);
    const [mail] = await s.waitForMail(1);
    assert.deepEqual(mail.to, ['real@example.net']);
    const [partial] = await some.outbox.list();
    assert.equal(partial.state, 'partial');
    assert.deepEqual(partial.envelope.to, ['ghost@example.net']);
    assert.match(partial.lastError?.response ?? '', new RegExp(REJECTED_RECIPIENT_TEXT));
    assert.equal((await findBy('Sent', 'Message-ID', some.built.messageId)).length, 1, 'what went out is in Sent');
  });

  it('saving a draft three times leaves one copy in Drafts, the last; sending removes it', async () => {
    const drafts = await imap.account.specialFolder('\\Drafts');
    assert.equal(drafts, 'Drafts');
    assert.equal(await imap.account.specialFolder('\\Sent'), 'Sent');
    const draftId = `compose-${Date.now().toString(36)}`;
    for (const n of [1, 2, 3]) {
      const b = await buildMimeMessage({ from: { name: 'Alice', address: 'alice@example.test' }, to: [{ name: '', address: 'bob@example.net' }], cc: [], bcc: [], subject: `Draft v${n}`, markdown: `version ${n}`, references: [], attachments: [], headers: { 'X-Mailroom-Draft': draftId } });
      await imap.account.saveDraft('Drafts', b.sentCopy, draftId);
    }
    const copies = await findBy('Drafts', 'X-Mailroom-Draft', draftId);
    assert.equal(copies.length, 1);
    assert.equal((await simpleParser(copies[0])).subject, 'Draft v3');
    const lock = await checker.getMailboxLock('Drafts', { readOnly: true });
    try {
      await checker.noop();
      const all = (await checker.search({ header: { 'X-Mailroom-Draft': draftId } }, { uid: true })) || [];
      assert.equal(all.length, 1, 'older copies are expunged, not left flagged');
      const [row] = await checker.fetchAll(all, { flags: true }, { uid: true });
      assert.ok(row.flags?.has('\\Draft') && row.flags.has('\\Seen'));
    } finally {
      lock.release();
    }

    const s = await sink();
    const sent = await send(starttls(s), { to: [{ name: '', address: 'bob@example.net' }], cc: [], bcc: [], subject: 'Draft v3', body: 'final', references: [], forwardAttachments: 'none' }, { draftId });
    assert.equal(sent.outcome.status, 'sent');
    assert.equal((await findBy('Drafts', 'X-Mailroom-Draft', draftId)).length, 0, 'the draft is gone after sending');
  });
});

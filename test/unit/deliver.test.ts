import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MailError } from '../../src/protocol/errors';
import { silentLog } from '../../src/protocol/log';
import type { BuiltMessage } from '../../src/protocol/smtp/buildMessage';
import { deliver, MailboxSide } from '../../src/protocol/smtp/deliver';
import type { SendResult } from '../../src/protocol/smtp/send';
import { Outbox, OutboxEntry, OriginalRef } from '../../src/store/outbox';

const wire = Buffer.from('Subject: Hi\r\n\r\nBody\r\n');
const built: BuiltMessage = { wire, sentCopy: Buffer.concat([Buffer.from('Bcc: z@x.org\r\n'), wire]), envelope: { from: 'me@x.org', to: ['a@x.org', 'b@x.org', 'z@x.org'] }, messageId: 'm@x.org' };
const original: OriginalRef = { protocol: 'imap', path: 'INBOX', uidValidity: '7', uid: 42 };
const fields: Omit<OutboxEntry, 'id' | 'createdAt' | 'state' | 'attempts'> = {
  accountId: 'acct',
  subject: 'Hi',
  recipients: ['a@x.org', 'b@x.org'],
  envelope: built.envelope,
  original,
  originalFlag: '\\Answered',
  draftId: 'draft-1',
};

/** Records every call; each step can be told to fail. */
class Recorder {
  sends: Array<{ to: string[]; raw: Buffer }> = [];
  saved: Buffer[] = [];
  marked: Array<[OriginalRef, string]> = [];
  drafts: string[] = [];
  sendOutcome: () => Promise<SendResult> = async () => ({ accepted: ['a@x.org'], rejected: [], response: '250 ok' });
  failSave: MailError | undefined;
  failMark: MailError | undefined;

  send = async (envelope: BuiltMessage['envelope'], raw: Buffer): Promise<SendResult> => {
    this.sends.push({ to: envelope.to, raw });
    return this.sendOutcome();
  };

  mailbox: MailboxSide = {
    saveSent: async (bytes) => {
      if (this.failSave) throw this.failSave;
      this.saved.push(bytes);
    },
    markOriginal: async (ref, flag) => {
      if (this.failMark) throw this.failMark;
      this.marked.push([ref, flag]);
    },
    removeDraft: async (id) => void this.drafts.push(id),
  };
}

describe('deliver', () => {
  let dir: string;
  let outbox: Outbox;
  let r: Recorder;
  const go = (id: string): ReturnType<typeof deliver> => deliver(id, { outbox, send: r.send, mailbox: r.mailbox, log: silentLog });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-deliver-'));
    outbox = new Outbox(dir);
    r = new Recorder();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sends the wire bytes, saves the Sent copy with Bcc, flags the original, drops the draft, then removes the entry', async () => {
    const entry = await outbox.add(fields, built);
    const outcome = await go(entry.id);
    assert.deepEqual(outcome, { status: 'sent', rejected: [], warnings: [] });
    assert.equal(r.sends.length, 1);
    assert.ok(r.sends[0].raw.equals(wire));
    assert.deepEqual(r.sends[0].to, ['a@x.org', 'b@x.org', 'z@x.org']);
    assert.equal(r.saved.length, 1);
    assert.ok(r.saved[0].equals(built.sentCopy));
    assert.deepEqual(r.marked, [[original, '\\Answered']]);
    assert.deepEqual(r.drafts, ['draft-1']);
    assert.deepEqual(await outbox.list(), []);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('keeps the message as "failed" with the server reply when SMTP refuses, touching no mailbox', async () => {
    const entry = await outbox.add(fields, built);
    r.sendOutcome = () => Promise.reject(new MailError('AuthFailed', 'wrong password', { detail: '535 5.7.8 Authentication failed' }));
    const outcome = await go(entry.id);
    assert.equal(outcome.status, 'failed');
    assert.ok(outcome.status === 'failed' && outcome.error.code === 'AuthFailed');
    const { entry: kept, wire: bytes } = await new Outbox(dir).read(entry.id);
    assert.equal(kept.state, 'failed');
    assert.equal(kept.attempts, 1);
    assert.deepEqual(kept.lastError, { code: 'AuthFailed', message: 'wrong password', response: '535 5.7.8 Authentication failed' });
    assert.ok(bytes.equals(wire));
    assert.deepEqual([r.saved, r.marked, r.drafts], [[], [], []]);
  });

  it('a partial rejection saves the Sent copy, keeps the refused recipients, and a retry sends only to them', async () => {
    const entry = await outbox.add(fields, built);
    r.sendOutcome = async () => ({ accepted: ['a@x.org', 'z@x.org'], rejected: [{ address: 'b@x.org', response: '550 5.1.1 no such user' }], response: '250 ok' });
    const first = await go(entry.id);
    assert.equal(first.status, 'partial');
    assert.ok(first.status === 'partial' && first.rejected[0].address === 'b@x.org');
    let kept = (await outbox.read(entry.id)).entry;
    assert.equal(kept.state, 'partial');
    assert.deepEqual(kept.envelope.to, ['b@x.org']);
    assert.match(kept.lastError?.response ?? '', /550 5.1.1 no such user/);
    assert.equal(r.saved.length, 1);
    assert.equal(r.marked.length, 1);
    assert.deepEqual(r.drafts, []);

    r.sendOutcome = async () => ({ accepted: ['b@x.org'], rejected: [], response: '250 ok' });
    const second = await go(entry.id);
    assert.equal(second.status, 'sent');
    assert.deepEqual(r.sends[1].to, ['b@x.org']);
    assert.equal(r.saved.length, 1, 'the Sent copy is saved once');
    assert.equal(r.marked.length, 1);
    assert.deepEqual(r.drafts, ['draft-1']);
    kept = (await outbox.list())[0];
    assert.equal(kept, undefined);
  });

  it('after SMTP accepted, a failed Sent copy keeps the entry "sent" and a retry never sends again', async () => {
    const entry = await outbox.add(fields, built);
    r.failSave = new MailError('ConnectionClosed', 'IMAP went away');
    const outcome = await go(entry.id);
    assert.equal(outcome.status, 'sent');
    assert.ok(outcome.status === 'sent' && /Sent was not saved: IMAP went away/.test(outcome.warnings[0]));
    const kept = (await outbox.read(entry.id)).entry;
    assert.equal(kept.state, 'sent');
    assert.equal(kept.lastError?.code, 'ConnectionClosed');
    assert.equal(kept.originalMarked, true);

    r.failSave = undefined;
    const retry = await go(entry.id);
    assert.deepEqual(retry, { status: 'sent', rejected: [], warnings: [] });
    assert.equal(r.sends.length, 1, 'never re-sent');
    assert.equal(r.saved.length, 1);
    assert.equal(r.marked.length, 1, 'the flag is not set twice');
    assert.deepEqual(await outbox.list(), []);
  });

  it('a failed flag keeps the entry for a retry of the flag only', async () => {
    const entry = await outbox.add(fields, built);
    r.failMark = new MailError('CommandFailed', 'no');
    await go(entry.id);
    assert.equal((await outbox.read(entry.id)).entry.sentCopySaved, true);
    r.failMark = undefined;
    await go(entry.id);
    assert.equal(r.sends.length, 1);
    assert.equal(r.saved.length, 1);
    assert.equal(r.marked.length, 1);
    assert.deepEqual(await outbox.list(), []);
  });

  it('retries a message interrupted mid-send after a restart (the user chose to retry)', async () => {
    const entry = await outbox.add(fields, built);
    await outbox.update(entry.id, { state: 'sending', attempts: 1 });
    outbox = new Outbox(dir); // restart
    assert.equal((await outbox.list())[0].state, 'failed');
    const outcome = await go(entry.id);
    assert.equal(outcome.status, 'sent');
    assert.equal(r.sends.length, 1);
  });

  it('refuses to deliver the same message twice at once', async () => {
    const entry = await outbox.add(fields, built);
    let release: () => void = () => undefined;
    r.sendOutcome = () => new Promise((resolve) => (release = () => resolve({ accepted: ['a@x.org'], rejected: [], response: '250' })));
    const first = go(entry.id);
    await new Promise((res) => setTimeout(res, 50));
    const second = await go(entry.id);
    assert.equal(second.status, 'failed');
    release();
    assert.equal((await first).status, 'sent');
    assert.equal(r.sends.length, 1);
  });

  it('works without a mailbox side (POP3 accounts): sent and removed', async () => {
    const entry = await outbox.add(fields, built);
    const outcome = await deliver(entry.id, { outbox, send: r.send, mailbox: {}, log: silentLog });
    assert.equal(outcome.status, 'sent');
    assert.deepEqual(await outbox.list(), []);
  });
});

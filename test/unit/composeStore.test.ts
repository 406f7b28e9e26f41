import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { MailError } from '../../src/protocol/errors';
import { ComposeStore, digest, MAX_RECENT_RECIPIENTS, safeFileName } from '../../src/store/composeStore';

describe('ComposeStore', () => {
  let dir: string;
  let store: ComposeStore;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-compose-'));
    store = await ComposeStore.open(dir);
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates a session folder with the document named after the subject and its metadata', async () => {
    const meta = await store.create({
      accountId: 'acc',
      mode: 'reply',
      subject: 'Re: Q3 / budget: final?',
      text: 'To: a@example.com\n\nhi',
      inReplyTo: 'abc@example.com',
      references: ['x@example.com', 'abc@example.com'],
      original: { accountId: 'acc', protocol: 'imap', path: 'INBOX', uidValidity: '7', uid: 42 },
    });
    assert.match(meta.id, /^[0-9a-f]{16}$/);
    assert.equal(meta.documentName, 'Re Q3 budget final.mail');
    const documentPath = store.documentPath(meta);
    assert.equal(path.dirname(documentPath), path.join(dir, meta.id));
    assert.equal(fs.readFileSync(documentPath, 'utf8'), 'To: a@example.com\n\nhi');
    assert.equal(meta.initialDigest, digest('To: a@example.com\n\nhi'));
    const again = await store.get(meta.id);
    assert.deepEqual(again, meta);
    assert.equal(store.sessionIdOf(documentPath), meta.id);
    assert.equal(store.sessionIdOf(path.join(dir, 'elsewhere.mail')), undefined);
    assert.equal(store.sessionIdOf('/tmp/other/file.mail'), undefined);
  });

  it('names the document "message.mail" when the subject is empty or only unsafe characters', async () => {
    assert.equal((await store.create({ accountId: 'a', mode: 'new', subject: '', text: '' })).documentName, 'message.mail');
    assert.equal((await store.create({ accountId: 'a', mode: 'new', subject: '../..', text: '' })).documentName, 'message.mail');
  });

  it('updates metadata atomically and keeps concurrent updates', async () => {
    const meta = await store.create({ accountId: 'a', mode: 'new', subject: 's', text: '' });
    await Promise.all([store.update(meta.id, { draftDigest: 'd1' }), store.update(meta.id, { draftSavedAt: 'now' })]);
    const after = await store.get(meta.id);
    assert.equal(after?.draftDigest, 'd1');
    assert.equal(after?.draftSavedAt, 'now');
    assert.deepEqual(fs.readdirSync(path.join(dir, meta.id)).filter((n) => n.endsWith('.tmp')), []);
  });

  it('copies attachments in, de-duplicating names, and records their size', async () => {
    const meta = await store.create({ accountId: 'a', mode: 'new', subject: 's', text: '' });
    const src = path.join(dir, 'report.pdf');
    fs.writeFileSync(src, Buffer.alloc(1234, 1));
    const first = await store.attachFile(meta.id, src, 'application/pdf');
    const second = await store.attachFile(meta.id, src);
    assert.deepEqual([first.name, second.name], ['report.pdf', 'report (2).pdf']);
    assert.equal(first.size, 1234);
    const reread = await store.get(meta.id);
    assert.deepEqual(reread?.attachments.map((a) => a.name), ['report.pdf', 'report (2).pdf']);
    assert.equal(fs.readFileSync(store.attachmentPath(meta.id, 'report (2).pdf')).length, 1234);
  });

  it('writes attachment data from buffers, streams and sink writers under a safe name', async () => {
    const meta = await store.create({ accountId: 'a', mode: 'forward', subject: 's', text: '' });
    const a = await store.attachData(meta.id, '../../etc/passwd', Buffer.from('x'));
    assert.ok(!a.name.includes('/') && !a.name.includes('..') && !a.name.startsWith('.'), a.name);
    assert.equal(path.dirname(store.attachmentPath(meta.id, a.name)), store.attachmentsDir(meta.id));
    const bidi = await store.attachData(meta.id, 'invoice\u202Efdp.exe', Buffer.from('x'));
    assert.equal(bidi.name, 'invoicefdp.exe');
    const b = await store.attachData(meta.id, 'stream.txt', Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    assert.equal(fs.readFileSync(store.attachmentPath(meta.id, b.name), 'utf8'), 'hello world');
    const c = await store.attachData(meta.id, 'sink.eml', async (sink) => {
      sink.write('From: a\r\n\r\nbody');
      await Promise.resolve();
    });
    assert.equal(fs.readFileSync(store.attachmentPath(meta.id, c.name), 'utf8'), 'From: a\r\n\r\nbody');
    assert.equal(c.size, 15);
  });

  it('leaves no half-written attachment when the source fails', async () => {
    const meta = await store.create({ accountId: 'a', mode: 'forward', subject: 's', text: '' });
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('disk gone'));
      },
    });
    await assert.rejects(store.attachData(meta.id, 'broken.bin', failing), (err: unknown) => MailError.is(err, 'StorageFailed') && /broken\.bin/.test(err.message));
    assert.deepEqual(fs.readdirSync(store.attachmentsDir(meta.id)), []);
    assert.deepEqual((await store.get(meta.id))?.attachments, []);
  });

  it('refuses to attach a file that does not exist, with StorageFailed', async () => {
    const meta = await store.create({ accountId: 'a', mode: 'new', subject: 's', text: '' });
    await assert.rejects(store.attachFile(meta.id, path.join(dir, 'missing.txt')), (err: unknown) => MailError.is(err, 'StorageFailed'));
  });

  it('lists sessions oldest first, skipping a corrupt one without deleting it', async () => {
    const one = await store.create({ accountId: 'a', mode: 'new', subject: 'one', text: '' });
    await new Promise((r) => setTimeout(r, 5));
    const two = await store.create({ accountId: 'a', mode: 'new', subject: 'two', text: '' });
    const bad = path.join(dir, '0123456789abcdef');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'meta.json'), '{not json');
    assert.deepEqual((await store.list()).map((m) => m.id), [one.id, two.id]);
    assert.ok(fs.existsSync(path.join(bad, 'meta.json')));
  });

  it('removes a session with its files and ignores ids that are not sessions', async () => {
    const meta = await store.create({ accountId: 'a', mode: 'new', subject: 's', text: 'x' });
    await store.remove(meta.id);
    assert.equal(fs.existsSync(path.join(dir, meta.id)), false);
    assert.equal(await store.get(meta.id), undefined);
    await store.remove('../../');
    assert.ok(fs.existsSync(dir));
    assert.equal(await store.get('../etc'), undefined);
  });

  it('rewrites the document atomically', async () => {
    const meta = await store.create({ accountId: 'a', mode: 'new', subject: 's', text: 'old' });
    await store.writeDocument(meta, 'new text');
    assert.equal(await store.readDocument(meta), 'new text');
  });

  describe('recent recipients', () => {
    it('counts uses per address (case-insensitive) and keeps the newest name', async () => {
      await store.recordRecipients('acc', [{ name: 'Bob', address: 'Bob@Example.com' }], 1000);
      await store.recordRecipients('acc', [{ name: 'Bob B.', address: 'bob@example.com' }, { name: '', address: 'carol@example.com' }], 2000);
      await store.recordRecipients('other', [{ name: 'Zed', address: 'z@example.com' }], 3000);
      const list = await store.recentRecipients('acc');
      assert.deepEqual(
        list.map((r) => [r.address, r.name, r.count, r.lastUsed]),
        [
          ['bob@example.com', 'Bob B.', 2, 2000],
          ['carol@example.com', '', 1, 2000],
        ],
      );
      assert.equal((await store.recentRecipients('other')).length, 1);
      await store.dropAccountRecipients('other');
      assert.deepEqual(await store.recentRecipients('other'), []);
    });

    it(`keeps at most ${MAX_RECENT_RECIPIENTS} per account, dropping the least recently used`, async () => {
      const many = Array.from({ length: MAX_RECENT_RECIPIENTS }, (_, i) => ({ name: '', address: `p${i}@example.com` }));
      await store.recordRecipients('acc', many, 1000);
      await store.recordRecipients('acc', [{ name: '', address: 'newest@example.com' }], 2000);
      const list = await store.recentRecipients('acc');
      assert.equal(list.length, MAX_RECENT_RECIPIENTS);
      assert.equal(list[0]!.address, 'newest@example.com');
    });

    it('starts over when the recipients file is corrupt', async () => {
      fs.writeFileSync(path.join(dir, 'recipients.json'), '[[[');
      assert.deepEqual(await store.recentRecipients('acc'), []);
      await store.recordRecipients('acc', [{ name: '', address: 'a@example.com' }]);
      assert.equal((await store.recentRecipients('acc')).length, 1);
    });
  });

  it('makes file names safe on every platform', () => {
    assert.equal(safeFileName('a/b\\c:d*e?f"g<h>i|j', 'x'), 'a b c d e f g h i j');
    assert.equal(safeFileName('..', 'x'), 'x');
    assert.equal(safeFileName('CON', 'x'), '_CON');
    assert.equal(safeFileName('nul.txt', 'x'), '_nul.txt');
    assert.equal(safeFileName('name. ', 'x'), 'name');
    assert.equal(safeFileName('tab\there\u0000', 'x'), 'tab here');
    // A reply's subject is the sender's text: the attachment-name rules apply too.
    assert.equal(safeFileName('Re: invoice \u202Efdp.exe', 'x'), 'Re invoice fdp.exe');
    assert.equal(safeFileName('Re: v1...v2', 'x'), 'Re v1.v2');
    const long = safeFileName(`${'a'.repeat(300)}.pdf`, 'x', 60);
    assert.equal(long.length, 60);
    assert.ok(long.endsWith('.pdf'));
  });
});

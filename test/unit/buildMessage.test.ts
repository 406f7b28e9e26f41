import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { simpleParser } from 'mailparser';
import { MailError } from '../../src/protocol/errors';
import { buildMimeMessage, OutgoingMessage, renderMarkdown } from '../../src/protocol/smtp/buildMessage';

const base = (extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  from: { name: 'Jürgen Groß', address: 'juergen@example.org' },
  to: [{ name: 'Doe, Ann', address: 'ann@example.com' }],
  cc: [{ name: '', address: 'cc@example.com' }],
  bcc: [],
  subject: 'Grüße & plans',
  markdown: 'Hello **Ann**,\n\nsee https://example.com/x\n\n<script>alert(1)</script>\n',
  references: [],
  attachments: [],
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<MailError> {
  try {
    await promise;
  } catch (err) {
    if (MailError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('buildMimeMessage', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-build-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes text/plain (the Markdown) with an HTML alternative, encoded headers and CRLF only', async () => {
    const built = await buildMimeMessage(base({ date: new Date(Date.UTC(2024, 0, 2)) }));
    const wire = built.wire.toString('latin1');
    assert.ok(!/[^\r]\n/.test(wire), 'bare LF in the message');
    assert.match(wire, /^Content-Type: multipart\/alternative/m);
    const parsed = await simpleParser(built.wire);
    assert.equal(parsed.subject, 'Grüße & plans');
    assert.equal(parsed.from?.value[0].name, 'Jürgen Groß');
    assert.equal(parsed.text, 'Hello **Ann**,\n\nsee https://example.com/x\n\n<script>alert(1)</script>\n');
    assert.ok(typeof parsed.html === 'string');
    assert.match(parsed.html, /<strong>Ann<\/strong>/);
    assert.match(parsed.html, /<a href="https:\/\/example.com\/x">/);
    assert.ok(!parsed.html.includes('<script>'), 'raw HTML must be escaped');
    assert.match(parsed.html, /&lt;script&gt;/);
    assert.equal(parsed.date?.toISOString(), '2024-01-02T00:00:00.000Z');
    assert.deepEqual(built.envelope, { from: 'juergen@example.org', to: ['ann@example.com', 'cc@example.com'] });
  });

  it('generates a Message-ID at the sender domain, or uses the given one', async () => {
    const a = await buildMimeMessage(base());
    assert.match(a.messageId, /^[a-z0-9.]+@example\.org$/);
    assert.equal((await simpleParser(a.wire)).messageId, `<${a.messageId}>`);
    const b = await buildMimeMessage(base({ messageId: '<given@x.org>' }));
    assert.equal(b.messageId, 'given@x.org');
    assert.notEqual((await buildMimeMessage(base())).messageId, a.messageId);
  });

  it('writes In-Reply-To and References with angle brackets', async () => {
    const built = await buildMimeMessage(base({ inReplyTo: 'p@x.org', references: ['r@x.org', '<p@x.org>'] }));
    const parsed = await simpleParser(built.wire);
    assert.equal(parsed.inReplyTo, '<p@x.org>');
    assert.deepEqual(parsed.references, ['<r@x.org>', '<p@x.org>']);
  });

  it('keeps Bcc out of the wire bytes and puts it in front of the same bytes in the Sent copy', async () => {
    const built = await buildMimeMessage(base({ bcc: [{ name: 'Zoë Secret', address: 'zoe@example.net' }, { name: '', address: 'ANN@example.com' }] }));
    assert.ok(!/^bcc:/im.test(built.wire.toString('latin1')));
    assert.ok(!built.wire.includes('zoe@example.net'));
    assert.ok(built.sentCopy.subarray(built.sentCopy.length - built.wire.length).equals(built.wire));
    const copy = await simpleParser(built.sentCopy);
    const bcc = Array.isArray(copy.bcc) ? copy.bcc[0] : copy.bcc;
    assert.deepEqual(bcc?.value.map((v) => [v.name, v.address]), [['Zoë Secret', 'zoe@example.net'], ['', 'ANN@example.com']]);
    // the envelope has every recipient once (ANN@ is ann@)
    assert.deepEqual(built.envelope.to, ['ann@example.com', 'cc@example.com', 'zoe@example.net']);
  });

  it('makes the Sent copy the wire bytes themselves without Bcc', async () => {
    const built = await buildMimeMessage(base());
    assert.equal(built.sentCopy, built.wire);
  });

  it('streams attachments from files, .eml as message/rfc822, and adds custom headers', async () => {
    const pdf = path.join(dir, 'report.pdf');
    fs.writeFileSync(pdf, Buffer.from([0x25, 0x50, 0x44, 0x46, 0, 1, 2, 255]));
    const eml = path.join(dir, 'orig.eml');
    fs.writeFileSync(eml, 'From: a@x.org\r\nSubject: inner\r\n\r\nbody\r\n');
    const built = await buildMimeMessage(
      base({ attachments: [{ path: pdf, filename: 'report.pdf' }, { path: eml, filename: 'Original message.eml' }], headers: { 'X-Mailroom-Draft': 'd-123' } }),
    );
    const parsed = await simpleParser(built.wire);
    assert.equal(parsed.headers.get('x-mailroom-draft'), 'd-123');
    const [a, b] = parsed.attachments;
    assert.equal(a.filename, 'report.pdf');
    assert.equal(a.contentType, 'application/pdf');
    assert.ok(a.content.equals(fs.readFileSync(pdf)));
    assert.equal(b.contentType, 'message/rfc822');
    assert.match(b.content.toString(), /Subject: inner/);
  });

  it('refuses a missing attachment file with StorageFailed naming it', async () => {
    const err = await rejection(buildMimeMessage(base({ attachments: [{ path: path.join(dir, 'gone.txt'), filename: 'gone.txt' }] })));
    assert.equal(err.code, 'StorageFailed');
    assert.match(err.message, /gone\.txt/);
  });

  it('refuses a bad sender or recipient address with InvalidAddress', async () => {
    assert.equal((await rejection(buildMimeMessage(base({ from: { name: 'x', address: 'nobody' } })))).code, 'InvalidAddress');
    const err = await rejection(buildMimeMessage(base({ to: [{ name: 'Bad', address: 'bad@' }] })));
    assert.equal(err.code, 'InvalidAddress');
    assert.match(err.message, /bad@/);
  });

  it('renders Markdown without raw HTML, with links and line breaks', () => {
    assert.equal(renderMarkdown('a\nb <b>x</b> www.example.com'), '<p>a<br>\nb &lt;b&gt;x&lt;/b&gt; <a href="http://www.example.com">www.example.com</a></p>\n');
    assert.ok(!renderMarkdown('[x](javascript:alert(1))').includes('href="javascript'));
  });
});

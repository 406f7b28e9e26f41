import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { MailError } from '../../src/protocol/errors';
import { streamAttachment } from '../../src/protocol/mime/attachments';
import { MAX_DISPLAY_TEXT_CHARS } from '../../src/protocol/mime/limits';
import { parseMessageStream } from '../../src/protocol/mime/parseMessageStream';
import { GIT_PATCH, mimeMessage, pseudoRandomBytes, TINY_PNG } from '../fixtures/mimeBuilders';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Resolves with the parse, or with the MailError it rejected with; anything else fails the test. */
async function parseOrMailError(source: Buffer): Promise<Awaited<ReturnType<typeof parseMessageStream>> | MailError> {
  try {
    return await parseMessageStream(source);
  } catch (err) {
    assert.ok(MailError.is(err), `expected a MailError, got ${String(err)}`);
    return err;
  }
}

class CollectingSink extends Writable {
  chunks: Buffer[] = [];
  maxBuffered = 0;
  constructor(private readonly delay: boolean) {
    super({ highWaterMark: 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.maxBuffered = Math.max(this.maxBuffered, this.writableLength);
    if (this.delay) setImmediate(done);
    else done();
  }
}

describe('parseMessageStream: headers', () => {
  it('keeps every header in order, unfolded, with RFC 2047 words and raw UTF-8 decoded', async () => {
    const parsed = await parseMessageStream(crlf([
      'Received: from a.test by b.test; Tue, 02 Jan 2024 10:00:05 +0000',
      'From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.test>',
      'Subject: =?UTF-8?B?w5xiZXJ3ZWlzdW5n?=',
      '  =?UTF-8?Q?_f=C3=BCr_M=C3=A4rz?= und mehr',
      'X-Raw: Grüße aus Köln',
      'Date: Tue, 02 Jan 2024 10:00:00 +0000',
      '',
      'body',
      '',
    ]));
    assert.deepEqual(parsed.headers.map((h) => h.name), ['Received', 'From', 'Subject', 'X-Raw', 'Date']);
    assert.equal(parsed.headers[2].value, 'Überweisung für März und mehr');
    assert.equal(parsed.headers[3].value, 'Grüße aus Köln');
    assert.equal(parsed.subject, 'Überweisung für März und mehr');
    assert.deepEqual(parsed.from, [{ name: 'Jürgen Müller', address: 'jm@example.test' }]);
    assert.equal(parsed.date, '2024-01-02T10:00:00.000Z');
  });

  it('gives addresses with groups flattened and ids without angle brackets', async () => {
    const parsed = await parseMessageStream(crlf([
      'From: Alice <alice@example.test>',
      'To: Team: bob@example.test, "Carol C." <carol@example.test>;, dave@example.test',
      'Cc: undisclosed-recipients:;',
      'Bcc: eve@example.test',
      'Reply-To: list@example.test',
      'Message-ID: <m1@example.test>',
      'In-Reply-To: <parent@example.test> (message from Bob)',
      'References: <root@example.test>',
      ' <parent@example.test>',
      'Subject: ids',
      '',
      'x',
    ]));
    assert.deepEqual(parsed.to, [
      { name: 'Team', address: '' },
      { name: '', address: 'bob@example.test' },
      { name: 'Carol C.', address: 'carol@example.test' },
      { name: '', address: 'dave@example.test' },
    ]);
    assert.deepEqual(parsed.cc, [{ name: 'undisclosed-recipients', address: '' }]);
    assert.deepEqual(parsed.bcc, [{ name: '', address: 'eve@example.test' }]);
    assert.deepEqual(parsed.replyTo, [{ name: '', address: 'list@example.test' }]);
    assert.equal(parsed.messageId, 'm1@example.test');
    assert.equal(parsed.inReplyTo, 'parent@example.test');
    assert.deepEqual(parsed.references, ['root@example.test', 'parent@example.test']);
  });

  it('leaves the date undefined when the Date header is missing or garbage (mailparser would say "now")', async () => {
    const missing = await parseMessageStream(crlf(['Subject: no date', '', 'x']));
    const garbage = await parseMessageStream(crlf(['Subject: bad date', 'Date: the day after tomorrow', '', 'x']));
    assert.equal(missing.date, undefined);
    assert.equal(garbage.date, undefined);
    assert.equal(missing.messageId, undefined);
    assert.deepEqual(missing.references, []);
  });
});

describe('parseMessageStream: bodies', () => {
  it('gives both text and HTML of multipart/alternative', async () => {
    const parsed = await parseMessageStream(mimeMessage(['Subject: alt'], {
      multipart: 'alternative',
      parts: [
        { contentType: 'text/plain', body: 'Plain Grüße', encoding: 'quoted-printable' },
        { contentType: 'text/html', body: '<p>Rich <b>Grüße</b></p>', encoding: 'base64' },
      ],
    }));
    assert.equal(parsed.text.trim(), 'Plain Grüße');
    assert.equal(parsed.html?.trim(), '<p>Rich <b>Grüße</b></p>');
    assert.equal(parsed.htmlSkipped, false);
    assert.equal(parsed.textTruncated, false);
    assert.deepEqual(parsed.attachments, []);
  });

  it('skips HTML over maxHtmlChars but still gives the text part', async () => {
    const parsed = await parseMessageStream(mimeMessage(['Subject: big html'], {
      multipart: 'alternative',
      parts: [
        { contentType: 'text/plain', body: 'the text version' },
        { contentType: 'text/html', body: `<p>${'x'.repeat(5000)}</p>` },
      ],
    }), { maxHtmlChars: 1000 });
    assert.equal(parsed.htmlSkipped, true);
    assert.equal(parsed.html, undefined);
    assert.equal(parsed.text.trim(), 'the text version');
  });

  it('derives some text from HTML-only mail too large to convert', async () => {
    const parsed = await parseMessageStream(mimeMessage(['Subject: big html only'], {
      contentType: 'text/html',
      body: `<html><head><style>p{color:red}</style></head><body><p>Hello &amp; welcome</p>${'<p>filler</p>'.repeat(500)}</body></html>`,
    }), { maxHtmlChars: 1000 });
    assert.equal(parsed.htmlSkipped, true);
    assert.match(parsed.text, /^Hello & welcome/);
    assert.ok(!parsed.text.includes('color:red'), 'style content is not text');
  });

  it('cuts text at MAX_DISPLAY_TEXT_CHARS and says so', async () => {
    const parsed = await parseMessageStream(mimeMessage(['Subject: long'], { contentType: 'text/plain', body: 'abcdefghij\n'.repeat(MAX_DISPLAY_TEXT_CHARS / 10) }));
    assert.equal(parsed.text.length, MAX_DISPLAY_TEXT_CHARS);
    assert.equal(parsed.textTruncated, true);
  });

  it('parses a stream source exactly like the same bytes as a Buffer', async () => {
    const raw = mimeMessage(['Subject: same', 'From: a@example.test'], {
      multipart: 'mixed',
      parts: [{ contentType: 'text/plain', body: 'hello' }, { contentType: 'application/pdf', body: pseudoRandomBytes(200_000), filename: 'a.pdf', disposition: 'attachment' }],
    });
    const fromBuffer = await parseMessageStream(raw);
    const pieces = Array.from({ length: Math.ceil(raw.length / 777) }, (_, i) => raw.subarray(i * 777, (i + 1) * 777));
    const fromStream = await parseMessageStream(Readable.from(pieces));
    assert.deepEqual(fromStream, fromBuffer);
  });
});

describe('parseMessageStream: attachments and inline images', () => {
  const related = (extra: { cid?: string; referenced?: boolean } = {}): Buffer =>
    mimeMessage(['Subject: related'], {
      multipart: 'mixed',
      parts: [
        {
          multipart: 'related',
          parts: [
            { contentType: 'text/html', body: extra.referenced === false ? '<p>no image</p>' : `<p><img src="cid:${extra.cid ?? 'logo@x'}"></p>` },
            { contentType: 'image/png', body: TINY_PNG, contentId: extra.cid ?? 'logo@x', disposition: 'inline', filename: 'logo.png' },
          ],
        },
        { contentType: 'application/pdf', body: pseudoRandomBytes(50_000), filename: 'report.pdf', disposition: 'attachment' },
        { contentType: 'text/x-diff', body: 'not really a diff', filename: 'fix.txt', disposition: 'attachment' },
      ],
    });

  it('lists attachments in parse order with decoded size, cid and related flag', async () => {
    const parsed = await parseMessageStream(related());
    assert.deepEqual(parsed.attachments, [
      { index: 0, filename: 'logo.png', contentType: 'image/png', size: TINY_PNG.length, contentId: 'logo@x', related: true, isPatch: false },
      { index: 1, filename: 'report.pdf', contentType: 'application/pdf', size: 50_000, related: false, isPatch: false },
      { index: 2, filename: 'fix.txt', contentType: 'text/x-diff', size: 17, related: false, isPatch: true },
    ]);
  });

  it('turns referenced cid: images into data: URLs', async () => {
    const parsed = await parseMessageStream(related());
    assert.deepEqual(parsed.inlineImages, { 'logo@x': `data:image/png;base64,${TINY_PNG.toString('base64')}` });
  });

  it('keeps no inline image that the HTML does not reference or that is over budget', async () => {
    assert.deepEqual((await parseMessageStream(related({ referenced: false }))).inlineImages, {});
    assert.deepEqual((await parseMessageStream(related(), { inlineImageBudgetBytes: 10 })).inlineImages, {});
  });

  it('recognises patches in the body and in attachments', async () => {
    const parsed = await parseMessageStream(mimeMessage(['Subject: [PATCH] x'], {
      multipart: 'mixed',
      parts: [
        { contentType: 'text/plain', body: `Please review.\n\n${GIT_PATCH}` },
        { contentType: 'text/plain', body: GIT_PATCH, filename: '0001-fix.txt', disposition: 'attachment' },
        { contentType: 'application/octet-stream', body: 'diff data', filename: 'change.patch', disposition: 'attachment' },
        { contentType: 'text/plain', body: 'just notes', filename: 'notes.txt', disposition: 'attachment' },
      ],
    }));
    assert.equal(parsed.containsPatch, true);
    assert.deepEqual(parsed.attachments.map((a) => a.isPatch), [true, true, false]);
  });
});

describe('parseMessageStream: hostile input', () => {
  it('gives a best-effort result for a truncated multipart without its closing boundary', async () => {
    const raw = mimeMessage(['Subject: cut'], { multipart: 'mixed', parts: [{ contentType: 'text/plain', body: 'first part' }, { contentType: 'application/pdf', body: pseudoRandomBytes(10_000), filename: 'a.pdf', disposition: 'attachment' }] });
    const parsed = await parseOrMailError(raw.subarray(0, raw.length - 3000));
    assert.ok(!MailError.is(parsed));
    assert.equal(parsed.text.trim(), 'first part');
    assert.equal(parsed.attachments.length, 1);
  });

  it('survives broken base64, a missing boundary parameter, 8-bit garbage headers and empty input', async () => {
    const inputs = [
      crlf(['Subject: bad b64', 'Content-Type: text/plain', 'Content-Transfer-Encoding: base64', '', '!!!!not*base64@@@@', 'SGVsbG8=====', '']),
      crlf(['Subject: no boundary', 'Content-Type: multipart/mixed', '', '--x', 'Content-Type: text/plain', '', 'hi', '--x--', '']),
      Buffer.concat([Buffer.from('Subject: '), Buffer.from([0xff, 0xfe, 0x80, 0x00, 0x1b, 0x9b]), Buffer.from('\r\nFrom: \xff\xff <\x80@x>\r\n\r\nbody\r\n', 'latin1')]),
      Buffer.alloc(0),
      pseudoRandomBytes(64 * 1024),
    ];
    for (const input of inputs) {
      const parsed = await parseOrMailError(input);
      if (!MailError.is(parsed)) assert.equal(typeof parsed.text, 'string');
    }
  });

  it('rejects a message with more parts than mailparser allows as LimitExceeded', async () => {
    const parts = Array.from({ length: 1100 }, (_, i) => ({ contentType: 'text/plain', body: `part ${i}`, filename: `p${i}.txt`, disposition: 'attachment' as const }));
    await assert.rejects(parseMessageStream(mimeMessage(['Subject: many'], { multipart: 'mixed', parts })), (err: unknown) => MailError.is(err, 'LimitExceeded'));
  });

  it('rejects with StorageFailed when the source stream fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk went away'));
      },
    });
    await assert.rejects(parseMessageStream(failing), (err: unknown) => MailError.is(err, 'StorageFailed') && err.detail === 'disk went away');
  });
});

describe('streamAttachment', () => {
  const pdf = pseudoRandomBytes(2 * 1024 * 1024, 7);
  const png = TINY_PNG;
  const raw = mimeMessage(['Subject: files'], {
    multipart: 'mixed',
    parts: [
      { contentType: 'text/plain', body: 'see attached' },
      { contentType: 'image/png', body: png, filename: 'a.png', disposition: 'attachment' },
      { contentType: 'application/pdf', body: pdf, filename: 'big.pdf', disposition: 'attachment' },
      { contentType: 'text/plain', body: GIT_PATCH, filename: 'fix.patch', disposition: 'attachment' },
    ],
  });

  it('pipes the decoded content of the chosen attachment into the sink and ends it', async () => {
    const sink = new CollectingSink(false);
    const info = await streamAttachment(raw, 1, sink);
    assert.equal(sha(Buffer.concat(sink.chunks)), sha(pdf));
    assert.ok(sink.writableFinished, 'the sink was ended');
    assert.deepEqual(info, { index: 1, filename: 'big.pdf', contentType: 'application/pdf', size: pdf.length, related: false, isPatch: false });
  });

  it('respects the sink\'s backpressure and opens a stream source through the factory', async () => {
    const sink = new CollectingSink(true);
    let opened = 0;
    const info = await streamAttachment(() => {
      opened++;
      // 16 KB reads, like a file stream's: a single huge chunk would arrive (and be written) whole.
      return Readable.from(Array.from({ length: Math.ceil(raw.length / 16_384) }, (_, i) => raw.subarray(i * 16_384, (i + 1) * 16_384)));
    }, 1, sink);
    assert.equal(opened, 1);
    assert.equal(sha(Buffer.concat(sink.chunks)), sha(pdf));
    assert.equal(info.size, pdf.length);
    assert.ok(sink.maxBuffered <= 256 * 1024, `sink buffered ${sink.maxBuffered} bytes`);
  });

  it('numbers attachments like parseMessageStream', async () => {
    const parsed = await parseMessageStream(raw);
    for (const listed of parsed.attachments) {
      const sink = new CollectingSink(false);
      assert.deepEqual(await streamAttachment(raw, listed.index, sink), listed);
    }
  });

  it('rejects an unknown index with MessageNotFound and leaves the sink open', async () => {
    const sink = new CollectingSink(false);
    await assert.rejects(streamAttachment(raw, 3, sink), (err: unknown) => MailError.is(err, 'MessageNotFound'));
    assert.equal(sink.writableEnded, false);
    assert.equal(sink.chunks.length, 0);
  });
});

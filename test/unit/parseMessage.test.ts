import * as assert from 'node:assert/strict';
import { MAX_DISPLAY_TEXT_CHARS, parseMessage } from '../../src/protocol/mime/parseMessage';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

describe('parseMessage', () => {
  it('decodes an RFC 2047 subject and sender and a quoted-printable UTF-8 body', async () => {
    const parsed = await parseMessage(crlf([
      'From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.test>',
      'To: alice@example.test, Bob <bob@example.test>',
      'Subject: =?UTF-8?B?w5xiZXJ3ZWlzdW5nIGbDvHIgTcOkcno=?=',
      'Date: Tue, 03 Nov 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Gr=C3=BC=C3=9Fe aus K=C3=B6ln',
      '',
    ]));
    assert.equal(parsed.subject, 'Überweisung für März');
    assert.equal(parsed.from, 'Jürgen Müller <jm@example.test>');
    assert.equal(parsed.to, 'alice@example.test, Bob <bob@example.test>');
    assert.equal(parsed.date, '2026-11-03T10:00:00.000Z');
    assert.equal(parsed.text.trim(), 'Grüße aus Köln');
    assert.deepEqual(parsed.attachments, []);
  });

  it('turns HTML-only mail into text without markup', async () => {
    const parsed = await parseMessage(crlf([
      'From: a@example.test',
      'Subject: html',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<html><body><h1>Title</h1><p>Para <b>bold</b></p><script>alert(1)</script></body></html>',
    ]));
    assert.match(parsed.text, /TITLE|Title/);
    assert.match(parsed.text, /Para bold/);
    assert.ok(!parsed.text.includes('<'), parsed.text);
  });

  it('summarizes attachments by name, type and size', async () => {
    const parsed = await parseMessage(crlf([
      'From: a@example.test',
      'Subject: with attachment',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'see attached',
      '--b1',
      'Content-Type: application/pdf; name="report.pdf"',
      'Content-Disposition: attachment; filename="report.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 fake').toString('base64'),
      '--b1--',
      '',
    ]));
    assert.equal(parsed.text.trim(), 'see attached');
    assert.deepEqual(parsed.attachments, [{ filename: 'report.pdf', contentType: 'application/pdf', size: 13 }]);
  });

  it('cuts very long text at the display limit and says so', async () => {
    const body = 'x'.repeat(76) + '\r\n';
    const parsed = await parseMessage(Buffer.concat([crlf(['Subject: long', '', '']), Buffer.from(body.repeat(Math.ceil(MAX_DISPLAY_TEXT_CHARS / 70)))]));
    assert.equal(parsed.textTruncated, true);
    assert.equal(parsed.text.length, MAX_DISPLAY_TEXT_CHARS);
  });

  it('survives garbage without throwing', async () => {
    const parsed = await parseMessage(Buffer.from([0, 255, 13, 10, 13, 10, 0xc3, 0x28, 0]));
    assert.equal(parsed.subject, '');
    assert.equal(typeof parsed.text, 'string');
  });
});

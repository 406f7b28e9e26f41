import * as assert from 'node:assert/strict';
import { addressFieldAt, headerLineOf, parseComposeDocument, parseMailto, serializeComposeDocument } from '../../src/protocol/smtp/composeDocument';

describe('compose document', () => {
  it('round-trips a draft through serialize and parse', () => {
    const draft = {
      from: 'Alice <alice@example.com>',
      to: 'Bob <bob@example.com>, carol@example.com',
      cc: '"Doe, Jane" <jane@example.com>',
      bcc: 'secret@example.com',
      subject: 'Re: Lunch on Friday',
      attach: ['agenda.pdf', 'photo 1.jpg'],
      body: 'Hello Bob,\n\n> quoted\n\nSee you.\n',
    };
    const text = serializeComposeDocument(draft);
    const parsed = parseComposeDocument(text);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.from, draft.from);
    assert.equal(parsed.to, draft.to);
    assert.equal(parsed.cc, draft.cc);
    assert.equal(parsed.bcc, draft.bcc);
    assert.equal(parsed.subject, draft.subject);
    assert.deepEqual(parsed.attach, draft.attach);
    assert.equal(parsed.body, draft.body);
    assert.equal(parsed.bodyLine, 8);
  });

  it('writes every header even when empty, then one empty line', () => {
    const text = serializeComposeDocument({ from: 'a@example.com', body: 'x' });
    assert.equal(text, 'From: a@example.com\nTo:\nCc:\nBcc:\nSubject:\n\nx');
  });

  it('unfolds continuation lines of address headers and the subject', () => {
    const parsed = parseComposeDocument('To: a@example.com,\n    b@example.com,\n\tc@example.com\nSubject: a long\n  subject\n\nbody');
    assert.equal(parsed.to, 'a@example.com, b@example.com, c@example.com');
    assert.equal(parsed.subject, 'a long subject');
    assert.equal(parsed.body, 'body');
    assert.deepEqual(parsed.problems, []);
  });

  it('folds long address lists after commas and reads them back unchanged', () => {
    const to = Array.from({ length: 8 }, (_, i) => `Person Number${i} <person${i}@example.com>`).join(', ');
    const text = serializeComposeDocument({ to });
    for (const line of text.split('\n')) assert.ok(line.length <= 78, `line too long: ${line}`);
    assert.ok(text.split('\n').filter((l) => l.startsWith('    ')).length >= 3);
    assert.equal(parseComposeDocument(text).to, to);
  });

  it('does not split quoted names that contain commas when folding', () => {
    const to = Array.from({ length: 6 }, (_, i) => `"Last${i}, First${i}" <p${i}@example.com>`).join(', ');
    const parsed = parseComposeDocument(serializeComposeDocument({ to }));
    assert.equal(parsed.to, to);
  });

  it('reads CRLF and a byte order mark like LF', () => {
    const parsed = parseComposeDocument('\uFEFFFrom: a@example.com\r\nTo: b@example.com\r\nSubject: Hi\r\n\r\nline 1\r\nline 2\r\n');
    assert.equal(parsed.from, 'a@example.com');
    assert.equal(parsed.to, 'b@example.com');
    assert.equal(parsed.body, 'line 1\nline 2\n');
    assert.deepEqual(parsed.problems, []);
  });

  it('reports a missing empty line and treats the rest as the body', () => {
    const parsed = parseComposeDocument('To: b@example.com\nSubject: Hi\nHello there\nsecond line');
    assert.equal(parsed.to, 'b@example.com');
    assert.equal(parsed.subject, 'Hi');
    assert.equal(parsed.body, 'Hello there\nsecond line');
    assert.equal(parsed.bodyLine, 2);
    assert.deepEqual(parsed.problems.map((p) => [p.line, p.severity]), [[2, 'error']]);
    assert.match(parsed.problems[0]!.message, /empty line/);
  });

  it('reports a document that does not start with headers', () => {
    const parsed = parseComposeDocument('just some text\nmore');
    assert.equal(parsed.body, 'just some text\nmore');
    assert.equal(parsed.problems[0]?.line, 0);
    assert.equal(parsed.problems[0]?.severity, 'error');
  });

  it('keeps unknown headers aside with a warning naming them', () => {
    const parsed = parseComposeDocument('To: b@example.com\nX-Priority: 1\nReply-To: c@example.com\n\nbody');
    assert.deepEqual(
      parsed.unknownHeaders.map((h) => [h.name, h.value, h.line]),
      [
        ['X-Priority', '1', 1],
        ['Reply-To', 'c@example.com', 2],
      ],
    );
    assert.equal(parsed.problems.length, 2);
    assert.ok(parsed.problems.every((p) => p.severity === 'warning'));
    assert.match(parsed.problems[0]!.message, /X-Priority/);
    assert.equal(parsed.to, 'b@example.com');
  });

  it('accepts header names in any case and merges repeated To lines', () => {
    const parsed = parseComposeDocument('TO: a@example.com\nto: b@example.com\ncc:\nsubject: s\n\n');
    assert.equal(parsed.to, 'a@example.com, b@example.com');
    assert.equal(parsed.cc, '');
    assert.equal(parsed.subject, 's');
  });

  it('refuses a repeated Subject with an error on the second line', () => {
    const parsed = parseComposeDocument('Subject: one\nSubject: two\n\n');
    assert.equal(parsed.subject, 'one');
    assert.deepEqual(parsed.problems.map((p) => [p.line, p.severity]), [[1, 'error']]);
  });

  it('lists one attachment per Attach line and drops empty ones', () => {
    const parsed = parseComposeDocument('To: a@example.com\nAttach: report, final.pdf\nAttach:\nAttach: b.txt\n  c.txt\n\nbody');
    assert.deepEqual(parsed.attach, ['report, final.pdf', 'b.txt', 'c.txt']);
  });

  it('parses a document that is only headers as an empty body', () => {
    const parsed = parseComposeDocument('To: a@example.com\nSubject: x');
    assert.equal(parsed.subject, 'x');
    assert.equal(parsed.body, '');
    assert.deepEqual(parsed.problems, []);
  });

  it('keeps body lines that look like headers in the body', () => {
    const parsed = parseComposeDocument('To: a@example.com\n\nNote: this is body\n\nFrom: quoted');
    assert.equal(parsed.body, 'Note: this is body\n\nFrom: quoted');
    assert.equal(parsed.from, '');
  });

  it('flattens line breaks in header values when writing', () => {
    const text = serializeComposeDocument({ subject: 'two\r\nlines', to: 'a@example.com\nb@example.com' });
    const parsed = parseComposeDocument(text);
    assert.equal(parsed.subject, 'two lines');
    assert.deepEqual(parsed.problems, []);
  });

  it('finds the line of a header', () => {
    const text = serializeComposeDocument({ from: 'a@example.com', to: 'b@example.com', body: 'Subject: not this' });
    assert.equal(headerLineOf(text, 'to'), 1);
    assert.equal(headerLineOf(text, 'subject'), 4);
    assert.equal(headerLineOf(text, 'attach'), undefined);
  });

  describe('addressFieldAt', () => {
    const lines = ['From: me@example.com', 'To: Bob <bob@example.com>, ca', '    da', 'Cc: "Doe, J', 'Subject: to', '', 'To: body'];

    it('finds the address being typed after a comma', () => {
      assert.deepEqual(addressFieldAt(lines, 1, lines[1]!.length), { field: 'to', prefix: 'ca', start: 27 });
    });

    it('finds it right after the colon', () => {
      assert.deepEqual(addressFieldAt(lines, 1, 3), { field: 'to', prefix: '', start: 3 });
    });

    it('follows continuation lines back to their header', () => {
      assert.deepEqual(addressFieldAt(lines, 2, 6), { field: 'to', prefix: 'da', start: 4 });
    });

    it('ignores commas inside a quoted name', () => {
      assert.deepEqual(addressFieldAt(lines, 3, lines[3]!.length), { field: 'cc', prefix: '"Doe, J', start: 4 });
    });

    it('offers nothing on From, Subject, before the colon or in the body', () => {
      assert.equal(addressFieldAt(lines, 0, 10), undefined);
      assert.equal(addressFieldAt(lines, 4, 10), undefined);
      assert.equal(addressFieldAt(lines, 1, 1), undefined);
      assert.equal(addressFieldAt(lines, 6, 5), undefined);
      assert.equal(addressFieldAt(lines, 99, 0), undefined);
    });
  });
});

describe('parseMailto', () => {
  it('reads address, subject, cc and body from a mailto: link', () => {
    assert.deepEqual(parseMailto('mailto:bob+tag@example.com?subject=Hello%20there%3F&cc=carol@example.com&body=line%201%0D%0Aline%202&x-unknown=1'), {
      to: 'bob+tag@example.com',
      subject: 'Hello there?',
      cc: 'carol@example.com',
      body: 'line 1\nline 2',
    });
  });

  it('merges to= fields with the address part and keeps a question mark inside the query', () => {
    const init = parseMailto('MAILTO:a@example.com?to=b@example.com&subject=why?%20now');
    assert.equal(init.to, 'a@example.com, b@example.com');
    assert.equal(init.subject, 'why? now');
  });

  it('takes a plain address list as To, and leaves malformed input for the user to fix', () => {
    assert.deepEqual(parseMailto(' Bob <bob@example.com> '), { to: 'Bob <bob@example.com>' });
    assert.equal(parseMailto('mailto:not%20an%20address').to, 'not an address');
    assert.equal(parseMailto('mailto:bad%ZZ@example.com').to, 'bad%ZZ@example.com');
  });
});

import * as assert from 'node:assert/strict';
import type { ParsedMessage } from '../../src/protocol/mime/types';
import { buildForward, forwardSubject } from '../../src/protocol/smtp/reply';

function message(fields: Partial<ParsedMessage>): ParsedMessage {
  return { headers: [], subject: '', from: [], to: [], cc: [], bcc: [], replyTo: [], references: [], text: '', textTruncated: false, htmlSkipped: false, attachments: [], inlineImages: {}, containsPatch: false, ...fields };
}

const original = message({
  subject: 'Quarterly numbers',
  from: [{ name: 'Ann', address: 'ann@x.org' }],
  to: [{ name: 'Doe, J', address: 'j@x.org' }],
  cc: [{ name: '', address: 'c@x.org' }],
  date: '2024-03-05T14:07:00.000Z',
  messageId: 'q@x.org',
  references: ['p@x.org'],
  text: 'Numbers:\r\n> not a quote of ours\r\n',
});

describe('forward building', () => {
  it('forwards inline with a header block and the original text unquoted', () => {
    const d = buildForward(original, { asAttachment: false, timeZone: 'UTC' });
    assert.equal(d.subject, 'Fwd: Quarterly numbers');
    assert.equal(
      d.body,
      '\n\n---------- Forwarded message ----------\nFrom: Ann <ann@x.org>\nDate: Tue, 5 Mar 2024 at 14:07\nSubject: Quarterly numbers\nTo: "Doe, J" <j@x.org>\nCc: c@x.org\n\nNumbers:\n> not a quote of ours\n',
    );
    assert.equal(d.forwardAttachments, 'parts');
    assert.deepEqual([d.to, d.cc, d.bcc], [[], [], []]);
  });

  it('starts a new thread: no In-Reply-To, no References', () => {
    const d = buildForward(original, { asAttachment: false });
    assert.equal(d.inReplyTo, undefined);
    assert.deepEqual(d.references, []);
  });

  it('forwards as an attachment with a short body', () => {
    const d = buildForward(original, { asAttachment: true, from: { name: 'Me', address: 'me@x.org' } });
    assert.equal(d.forwardAttachments, 'message');
    assert.ok(!d.body.includes('Numbers'));
    assert.deepEqual(d.from, { name: 'Me', address: 'me@x.org' });
  });

  it('leaves out Date and Cc lines when the original has none', () => {
    const d = buildForward(message({ subject: 's', from: [{ name: '', address: 'a@x.org' }], text: 't' }), { asAttachment: false });
    assert.ok(!/^Date:/m.test(d.body));
    assert.ok(!/^Cc:/m.test(d.body));
    assert.ok(!/^To:/m.test(d.body));
  });

  it('adds "Fwd: " unless the subject already says forwarded', () => {
    assert.equal(forwardSubject('x'), 'Fwd: x');
    assert.equal(forwardSubject('Fwd: x'), 'Fwd: x');
    assert.equal(forwardSubject('FW: x'), 'FW: x');
    assert.equal(forwardSubject('Re: x'), 'Fwd: Re: x');
  });
});

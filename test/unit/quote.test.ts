import * as assert from 'node:assert/strict';
import type { ParsedMessage } from '../../src/protocol/mime/types';
import { attribution, quoteText } from '../../src/protocol/smtp/quote';

function message(fields: Partial<ParsedMessage>): ParsedMessage {
  return { headers: [], subject: '', from: [], to: [], cc: [], bcc: [], replyTo: [], references: [], text: '', textTruncated: false, htmlSkipped: false, attachments: [], inlineImages: {}, containsPatch: false, ...fields };
}

describe('quoting', () => {
  it('prefixes lines with "> ", blank lines with ">" and adds one level to quoted lines', () => {
    assert.equal(quoteText('Hello\n\nSee below:\n> earlier\n>> older\n'), '> Hello\n>\n> See below:\n>> earlier\n>>> older');
  });

  it('normalizes CRLF and lone CR', () => {
    assert.equal(quoteText('a\r\nb\rc'), '> a\n> b\n> c');
  });

  it('leaves out the signature after the last "-- " line', () => {
    assert.equal(quoteText('Thanks!\n\n-- \nAnn\nACME Corp\n'), '> Thanks!');
    // "--" without the space is not a signature separator
    assert.equal(quoteText('a\n--\nb'), '> a\n> --\n> b');
  });

  it('drops leading and trailing blank lines and gives "" for an empty text', () => {
    assert.equal(quoteText('\n\n  \nx\n\n\n'), '> x');
    assert.equal(quoteText(''), '');
  });

  it('writes the attribution with date and sender', () => {
    const m = message({ from: [{ name: 'Ann Lee', address: 'ann@x.org' }], date: '2024-03-05T14:07:00.000Z' });
    assert.equal(attribution(m, { timeZone: 'UTC' }), 'On Tue, 5 Mar 2024 at 14:07, Ann Lee <ann@x.org> wrote:');
    assert.equal(attribution(m, { timeZone: 'Asia/Tokyo' }), 'On Tue, 5 Mar 2024 at 23:07, Ann Lee <ann@x.org> wrote:');
  });

  it('writes the attribution without a date when the original has none or an unusable one', () => {
    assert.equal(attribution(message({ from: [{ name: 'Doe, J', address: 'j@x.org' }] })), '"Doe, J" <j@x.org> wrote:');
    assert.equal(attribution(message({ from: [{ name: '', address: 'j@x.org' }], date: 'garbage' })), 'j@x.org wrote:');
    assert.equal(attribution(message({})), 'Unknown sender wrote:');
  });
});

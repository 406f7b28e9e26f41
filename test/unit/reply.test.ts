import * as assert from 'node:assert/strict';
import type { ParsedMessage } from '../../src/protocol/mime/types';
import { buildReply, MAX_REFERENCES, replySubject, trimReferences } from '../../src/protocol/smtp/reply';

function message(fields: Partial<ParsedMessage>): ParsedMessage {
  return { headers: [], subject: '', from: [], to: [], cc: [], bcc: [], replyTo: [], references: [], text: '', textTruncated: false, htmlSkipped: false, attachments: [], inlineImages: {}, containsPatch: false, ...fields };
}

const ann = { name: 'Ann', address: 'ann@x.org' };
const bob = { name: 'Bob', address: 'bob@x.org' };
const carol = { name: 'Carol', address: 'carol@x.org' };
const me = { name: 'Me', address: 'me@x.org' };
const alias = { name: 'Me Too', address: 'ALIAS@x.org' };
const own = ['me@x.org', 'alias@x.org'];

const original = message({
  subject: 'Plans',
  from: [ann],
  to: [me, bob],
  cc: [carol, alias, { name: 'Ann again', address: 'ANN@x.org' }],
  date: '2024-03-05T14:07:00.000Z',
  messageId: 'm3@x.org',
  inReplyTo: 'm2@x.org',
  references: ['m1@x.org', 'm2@x.org'],
  text: 'Shall we meet?\n\n-- \nAnn\n',
});

describe('reply building', () => {
  it('replies to From with Re:, threading headers and the quoted original under an empty first line', () => {
    const d = buildReply(original, { all: false, own, timeZone: 'UTC' });
    assert.deepEqual(d.to, [ann]);
    assert.deepEqual(d.cc, []);
    assert.deepEqual(d.bcc, []);
    assert.equal(d.subject, 'Re: Plans');
    assert.equal(d.inReplyTo, 'm3@x.org');
    assert.deepEqual(d.references, ['m1@x.org', 'm2@x.org', 'm3@x.org']);
    assert.equal(d.body, '\n\nOn Tue, 5 Mar 2024 at 14:07, Ann <ann@x.org> wrote:\n> Shall we meet?\n');
    assert.equal(d.forwardAttachments, 'none');
  });

  it('prefers Reply-To over From', () => {
    const d = buildReply({ ...original, replyTo: [{ name: 'List', address: 'list@x.org' }] }, { all: false, own });
    assert.deepEqual(d.to, [{ name: 'List', address: 'list@x.org' }]);
  });

  it('reply all: To = sender + original To, Cc = original Cc, without own addresses and duplicates', () => {
    const d = buildReply(original, { all: true, own });
    assert.deepEqual(d.to, [ann, bob]);
    assert.deepEqual(d.cc, [carol]);
  });

  it('replying to my own sent message goes to its original recipients', () => {
    const sent = message({ ...original, from: [me], to: [bob], cc: [carol] });
    assert.deepEqual(buildReply(sent, { all: false, own }).to, [bob]);
    const all = buildReply(sent, { all: true, own });
    assert.deepEqual(all.to, [bob]);
    assert.deepEqual(all.cc, [carol]);
  });

  it('a note to self replies to self rather than to nobody', () => {
    const note = message({ from: [me], to: [me], subject: 'note', messageId: 'n@x.org' });
    assert.deepEqual(buildReply(note, { all: true, own }).to, [me]);
  });

  it('uses In-Reply-To as the parent when there is no References header', () => {
    const d = buildReply({ ...original, references: [] }, { all: false, own });
    assert.deepEqual(d.references, ['m2@x.org', 'm3@x.org']);
    const first = buildReply({ ...original, references: [], inReplyTo: undefined }, { all: false, own });
    assert.deepEqual(first.references, ['m3@x.org']);
  });

  it('leaves threading empty when the original has no Message-ID', () => {
    const d = buildReply({ ...original, messageId: undefined }, { all: false, own });
    assert.equal(d.inReplyTo, undefined);
    assert.deepEqual(d.references, []);
  });

  it('trims long References to the first and the newest ids', () => {
    const refs = Array.from({ length: 30 }, (_, i) => `r${i}@x.org`);
    const d = buildReply({ ...original, references: refs }, { all: false, own });
    assert.equal(d.references.length, MAX_REFERENCES);
    assert.equal(d.references[0], 'r0@x.org');
    assert.equal(d.references[1], 'r12@x.org'); // 31 ids: r0 + the newest 19 (r12…r29, m3)
    assert.equal(d.references[MAX_REFERENCES - 1], 'm3@x.org');
    assert.deepEqual(trimReferences(['<a@x>', 'a@x', 'b@x']), ['a@x', 'b@x']);
  });

  it('adds "Re: " once, recognizing Re:, RE:, re: and Re[2]:', () => {
    assert.equal(replySubject('Hello'), 'Re: Hello');
    assert.equal(replySubject('Re: Hello'), 'Re: Hello');
    assert.equal(replySubject('RE: re: Hello'), 'Re: Hello');
    assert.equal(replySubject('Re[2]: Hello'), 'Re: Hello');
    assert.equal(replySubject('Re:Hello'), 'Re: Hello');
    assert.equal(replySubject('Fwd: Hello'), 'Re: Fwd: Hello');
    assert.equal(replySubject('Regarding the plan'), 'Re: Regarding the plan');
    assert.equal(replySubject(''), 'Re: ');
  });

  it('keeps the chosen From identity', () => {
    assert.deepEqual(buildReply(original, { all: false, own, from: alias }).from, alias);
  });
});

import * as assert from 'node:assert/strict';
import { AccountConfig, ownAddresses, parseAccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import type { MailAddress, ParsedMessage } from '../../src/protocol/mime/types';
import { buildMimeMessage } from '../../src/protocol/smtp/buildMessage';
import { accountIdentities, cleanSignature, replyIdentity, withoutSubaddress } from '../../src/protocol/smtp/identities';
import { buildForward, buildReply } from '../../src/protocol/smtp/reply';
import { bodyWithQuote, containsSignature, findSignatureBlock, newMessageBody } from '../../src/protocol/smtp/signature';
import { resolveIdentity } from '../../src/providers/compose/identity';
import { sendingRoute } from '../../src/providers/compose/sending';
import { assertLinearTime } from './helpers/linearTime';

const base = { id: 'acc', protocol: 'imap', host: 'imap.example.test', port: 993, security: 'tls', user: 'me@example.com', name: 'Me Example' };

function account(extra: Record<string, unknown> = {}): AccountConfig {
  return parseAccountConfig({
    ...base,
    smtp: { host: 'smtp.example.test', port: 587, security: 'starttls' },
    aliases: ['old@example.com'],
    identities: [
      { address: 'me@example.com', signature: 'Me\n*Example Corp*' },
      { address: 'Support@Example.com', name: 'Example Support', replyTo: 'help@example.com', signature: '-- \nThe support team\n\n' },
      { address: 'me@side.example', name: 'Me on the side', smtp: { host: 'smtp.side.example', port: 465, security: 'tls' } },
    ],
    ...extra,
  });
}

function message(fields: Partial<ParsedMessage>): ParsedMessage {
  return { headers: [], subject: 'Hello', from: [{ name: 'Ann', address: 'ann@x.org' }], to: [], cc: [], bcc: [], replyTo: [], references: [], text: 'Hi there\n', textTruncated: false, htmlSkipped: false, attachments: [], inlineImages: {}, containsPatch: false, ...fields };
}

const addr = (address: string, name = ''): MailAddress => ({ name, address });

function errorOf(fn: () => unknown): MailError {
  try {
    fn();
  } catch (err) {
    if (MailError.is(err)) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('identities in the account settings', () => {
  it('lists the account address first (configured by its entry), then identities, then bare aliases', () => {
    const list = accountIdentities(account());
    assert.deepEqual(
      list.map((i) => [i.address, i.name, i.kind]),
      [
        ['me@example.com', 'Me Example', 'account'],
        ['Support@Example.com', 'Example Support', 'identity'],
        ['me@side.example', 'Me on the side', 'identity'],
        ['old@example.com', 'Me Example', 'alias'],
      ],
    );
    assert.equal(list[0]!.signature, 'Me\n*Example Corp*');
    assert.equal(list[1]!.signature, 'The support team', 'the delimiter and trailing blank lines of a configured signature are dropped');
    assert.deepEqual(list[1]!.replyTo, [addr('help@example.com')]);
    assert.equal(list[0]!.smtp, undefined, 'no own server: the account’s');
    assert.deepEqual(list[2]!.smtp, { host: 'smtp.side.example', port: 465, security: 'tls', user: 'me@side.example' }, 'the login defaults to the identity’s address');
  });

  it('counts identities as own addresses (reply all leaves them out)', () => {
    assert.deepEqual(ownAddresses(account()), ['me@example.com', 'support@example.com', 'me@side.example', 'old@example.com']);
  });

  for (const [what, identities, words] of [
    ['not a list', { address: 'a@b.c' }, /identities must be a list/],
    ['an entry without an address', [{ name: 'X' }], /identities\[0\]\.address must be an address/],
    ['a malformed address', [{ address: 'not an address' }], /identities\[0\]\.address/],
    ['the same address twice (case-insensitive)', [{ address: 'a@b.c' }, { address: 'A@B.C' }], /identities\[1\]: the address A@B\.C is listed twice/],
    ['a name with a line break', [{ address: 'a@b.c', name: 'A\nBcc: evil@x.org' }], /identities\[0\]\.name must be one line/],
    ['a bad replyTo', [{ address: 'a@b.c', replyTo: ['ok@b.c', 'nope'] }], /identities\[0\]\.replyTo/],
    ['a signature that is not text', [{ address: 'a@b.c', signature: ['x'] }], /identities\[0\]\.signature must be text/],
    ['a huge signature', [{ address: 'a@b.c', signature: 'x'.repeat(5000) }], /longer than 4000/],
    ['an smtp without host', [{ address: 'a@b.c', smtp: { port: 25 } }], /identities\[0\]\.smtp needs a "host"/],
    ['an smtp with a bad port', [{ address: 'a@b.c', smtp: { host: 'h', port: 0 } }], /identities\[0\]\.smtp\.port/],
    ['too many identities', Array.from({ length: 51 }, (_, i) => ({ address: `a${i}@b.c` })), /at most 50/],
  ] as const) {
    it(`refuses ${what} with InvalidAccount naming the field`, () => {
      const err = errorOf(() => parseAccountConfig({ ...base, identities }));
      assert.equal(err.code, 'InvalidAccount');
      assert.match(err.message, words);
      assert.match(err.message, /account "acc"/);
    });
  }
});

describe('the identity a reply is sent as', () => {
  const list = accountIdentities(account());
  const pick = (fields: Partial<ParsedMessage>): string | undefined => replyIdentity(list, message(fields))?.address;

  it('is the identity the original was addressed to, in To', () => {
    assert.equal(pick({ to: [addr('bob@x.org'), addr('support@example.com')] }), 'Support@Example.com');
  });
  it('looks in Cc when To has none of them', () => {
    assert.equal(pick({ to: [addr('team@x.org')], cc: [addr('me@side.example')] }), 'me@side.example');
  });
  it('prefers To over Cc', () => {
    assert.equal(pick({ to: [addr('me@side.example')], cc: [addr('me@example.com')] }), 'me@side.example');
  });
  it('ignores case', () => {
    assert.equal(pick({ to: [addr('ME@SIDE.EXAMPLE')] }), 'me@side.example');
  });
  it('matches a bare alias', () => {
    assert.equal(pick({ to: [addr('Old@Example.com')] }), 'old@example.com');
  });
  it('matches plus-addressing (me+lists@ is me@) only when no address matches exactly', () => {
    assert.equal(pick({ to: [addr('me+lists@side.example')] }), 'me@side.example');
    assert.equal(pick({ to: [addr('me+lists@side.example'), addr('support@example.com')] }), 'Support@Example.com');
    assert.equal(withoutSubaddress('+x@y.z'), undefined);
    assert.equal(withoutSubaddress('a+b+c@y.z'), 'a@y.z');
  });
  it('finds a Bcc’d message through Delivered-To or X-Original-To', () => {
    assert.equal(pick({ to: [addr('list@x.org')], headers: [{ name: 'Delivered-To', value: 'support@example.com' }] }), 'Support@Example.com');
    assert.equal(pick({ to: [addr('list@x.org')], headers: [{ name: 'X-Original-To', value: '<me@side.example>' }] }), 'me@side.example');
  });
  it('replying to one’s own sent message keeps its From identity', () => {
    assert.equal(pick({ from: [addr('me@side.example')], to: [addr('me@example.com')] }), 'me@side.example');
  });
  it('falls back to the account’s first identity', () => {
    assert.equal(pick({ to: [addr('stranger@x.org')] }), 'me@example.com');
    assert.equal(replyIdentity([], message({})), undefined);
  });
});

describe('signatures', () => {
  it('a new message: an empty line to type on, an empty line, the delimiter, the signature', () => {
    assert.equal(newMessageBody('Me\n*Example*'), '\n\n-- \nMe\n*Example*\n');
    assert.equal(newMessageBody(undefined), '\n');
    assert.equal(newMessageBody('  \n'), '\n', 'a blank signature is none');
  });

  it('above the quote: under the reply, before the attribution; below: at the end', () => {
    assert.equal(bodyWithQuote('Ann wrote:\n> Hi', 'Me', 'aboveQuote'), '\n\n-- \nMe\n\nAnn wrote:\n> Hi\n');
    assert.equal(bodyWithQuote('Ann wrote:\n> Hi', 'Me', 'belowQuote'), '\n\nAnn wrote:\n> Hi\n\n-- \nMe\n');
    assert.equal(bodyWithQuote('Ann wrote:\n> Hi', undefined, 'belowQuote'), '\n\nAnn wrote:\n> Hi\n');
  });

  it('a reply places the identity’s signature as the setting says', () => {
    const original = message({ text: 'Shall we?\n', date: '2024-03-05T14:07:00.000Z' });
    const above = buildReply(original, { all: false, own: ['me@example.com'], signature: 'Me', signaturePlacement: 'aboveQuote', timeZone: 'UTC' });
    assert.equal(above.body, '\n\n-- \nMe\n\nOn Tue, 5 Mar 2024 at 14:07, Ann <ann@x.org> wrote:\n> Shall we?\n');
    const below = buildReply(original, { all: false, own: ['me@example.com'], signature: 'Me', signaturePlacement: 'belowQuote', timeZone: 'UTC' });
    assert.equal(below.body, '\n\nOn Tue, 5 Mar 2024 at 14:07, Ann <ann@x.org> wrote:\n> Shall we?\n\n-- \nMe\n');
    const forward = buildForward(original, { asAttachment: true, signature: 'Me' });
    assert.equal(forward.body, '\n\nThe original message is attached.\n\n-- \nMe\n');
  });

  it('is not repeated when the quote already shows it (a reply to a reply)', () => {
    // Ann answered my message (which had my signature) and quoted it; her own signature comes last.
    const annsReply = message({ text: 'Yes!\n\n> Shall we meet?\n>\n> -- \n> Me\n> *Example Corp*\n\n-- \nAnn\n' });
    const d = buildReply(annsReply, { all: false, own: ['me@example.com'], signature: 'Me\n*Example Corp*', timeZone: 'UTC' });
    assert.doesNotMatch(d.body, /^-- $/m, 'no new signature block');
    assert.match(d.body, /^>> -- $/m, 'the quoted one is still there');
    assert.match(d.body, /^>> \*Example Corp\*$/m);
  });

  it('detects the signature at any quote depth, with or without the delimiter’s space, and nothing less', () => {
    const sig = 'Me\n*Example Corp*';
    assert.equal(containsSignature('> > -- \n> > Me\n> > *Example Corp*', sig), true);
    assert.equal(containsSignature('>>--\n>>   Me  \n>> *Example Corp*\n', sig), true);
    assert.equal(containsSignature('-- \r\nMe\r\n*Example Corp*', sig), true);
    assert.equal(containsSignature('Me\n*Example Corp*', sig), false, 'the lines alone, without a delimiter, are not a signature');
    assert.equal(containsSignature('-- \nMe\n', sig), false, 'only part of it');
    assert.equal(containsSignature('-- \nMe\n*Other Corp*', sig), false);
    assert.equal(containsSignature('anything', undefined), false);
    assert.equal(containsSignature('-- \n', '   '), false);
  });

  it('checks a hostile quote (many delimiters) in linear time', async () => {
    const sig = 'Me\nA\nB\nC';
    await assertLinearTime('containsSignature', (n) => '> -- \n> Me\n> A\n> B\n'.repeat(Math.ceil(n / 22)), (input) => containsSignature(input, sig));
  });

  it('finds the placed (unquoted, last) signature block so switching From can swap it', () => {
    const body = '\nHi\n\n-- \nMe\n*Corp*\n\nAnn wrote:\n> -- \n> Me\n> *Corp*\n';
    assert.deepEqual(findSignatureBlock(body, 'Me\n*Corp*'), { start: 3, end: 6 });
    assert.equal(findSignatureBlock('\nHi\n\nAnn wrote:\n> -- \n> Me\n> *Corp*\n', 'Me\n*Corp*'), undefined, 'a quoted one is not the placed one');
    assert.equal(findSignatureBlock('-- \nMe', 'Me\n*Corp*'), undefined);
    assert.deepEqual(findSignatureBlock('-- \nOld\n\n-- \nOld', 'Old'), { start: 3, end: 5 }, 'the last block');
  });

  it('cleans a configured signature: CRLF, a leading delimiter, trailing blanks', () => {
    assert.equal(cleanSignature('\r\n-- \r\nMe  \r\nCorp\r\n\r\n'), 'Me\nCorp');
    assert.equal(cleanSignature('--\nMe'), 'Me');
  });
});

describe('sending as an identity', () => {
  it('resolves the From line to its identity, case-insensitively, and refuses others', () => {
    const a = account();
    assert.equal(resolveIdentity(a, 'Support <SUPPORT@example.com>').identity.address, 'Support@Example.com');
    assert.equal(resolveIdentity(a, '').identity.address, 'me@example.com');
    const err = errorOf(() => resolveIdentity(a, 'ceo@example.com'));
    assert.equal(err.code, 'InvalidAddress');
    assert.match(err.message, /"identities"/);
  });

  it('routes an identity with its own server there (its login), others through the account', () => {
    const a = account();
    const own = sendingRoute(a, 'ME@side.example');
    assert.equal(own.identity?.address, 'me@side.example');
    assert.deepEqual(own.account.smtp, { host: 'smtp.side.example', port: 465, security: 'tls', user: 'me@side.example' });
    assert.match(own.account.label ?? '', /sending as me@side\.example/);
    const plain = sendingRoute(a, 'support@example.com');
    assert.equal(plain.identity, undefined);
    assert.equal(plain.account, a);
  });

  it('adds the identity’s Reply-To to the message', async () => {
    const built = await buildMimeMessage({ from: addr('support@example.com'), to: [addr('ann@x.org')], cc: [], bcc: [], replyTo: [addr('help@example.com')], subject: 'S', markdown: 'Hi\n\n-- \nThe support team', references: [], attachments: [] });
    const raw = built.wire.toString('utf8');
    assert.match(raw, /^Reply-To: help@example\.com\r$/m);
    assert.match(raw, /^--=20\r$|^-- \r$/m, 'the signature delimiter keeps its space on the wire');
  });
});

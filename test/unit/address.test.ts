import * as assert from 'node:assert/strict';
import { MailError } from '../../src/protocol/errors';
import { formatAddress, formatAddressList, parseAddressList, sameAddress, uniqueAddresses } from '../../src/protocol/smtp/address';

function invalid(text: string): MailError {
  try {
    parseAddressList(text);
  } catch (err) {
    if (MailError.is(err, 'InvalidAddress')) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('address lists', () => {
  it('parses names, bare addresses and quoted names with commas', () => {
    assert.deepEqual(parseAddressList('Ann Lee <ann@example.com>, bob@example.org, "Doe, John" <j@x.org>'), [
      { name: 'Ann Lee', address: 'ann@example.com' },
      { name: '', address: 'bob@example.org' },
      { name: 'Doe, John', address: 'j@x.org' },
    ]);
  });

  it('flattens groups and ignores empty groups and stray commas', () => {
    assert.deepEqual(parseAddressList('Team: a@x.org, B <b@y.org>;, undisclosed-recipients:;, , c@z.org,'), [
      { name: '', address: 'a@x.org' },
      { name: 'B', address: 'b@y.org' },
      { name: '', address: 'c@z.org' },
    ]);
  });

  it('gives an empty list for empty or blank text', () => {
    assert.deepEqual(parseAddressList(''), []);
    assert.deepEqual(parseAddressList('   '), []);
  });

  it('keeps internationalized addresses and names', () => {
    assert.deepEqual(parseAddressList('José Müller <josé@bücher.de>'), [{ name: 'José Müller', address: 'josé@bücher.de' }]);
  });

  it('refuses garbage, naming the bad entry', () => {
    assert.match(invalid('ann@example.com, just a name').message, /"just a name" is not an email address/);
    assert.match(invalid('x@').message, /"x@" is not an email address/);
    assert.match(invalid('@example.com').message, /"@example.com"/);
    assert.match(invalid('Bob <bob>').message, /"Bob <bob>"/);
    assert.match(invalid('a@b..c').message, /"a@b..c"/);
  });

  it('refuses two addresses without a comma between them', () => {
    assert.match(invalid('a@b.c d@e.f').message, /Separate the addresses a@b.c and d@e.f with a comma/);
  });

  it('quotes display names only when they need it', () => {
    assert.equal(formatAddress({ name: 'Ann Lee', address: 'ann@x.org' }), 'Ann Lee <ann@x.org>');
    assert.equal(formatAddress({ name: 'Jürgen Groß', address: 'j@x.de' }), 'Jürgen Groß <j@x.de>');
    assert.equal(formatAddress({ name: 'Doe, John', address: 'j@x.org' }), '"Doe, John" <j@x.org>');
    assert.equal(formatAddress({ name: 'J. R. "Bob" Dobbs', address: 'bob@x.org' }), '"J. R. \\"Bob\\" Dobbs" <bob@x.org>');
    assert.equal(formatAddress({ name: 'a@x.org', address: 'A@x.org' }), 'A@x.org');
    assert.equal(formatAddress({ name: '', address: 'a@x.org' }), 'a@x.org');
  });

  it('formats a list that parses back to the same addresses', () => {
    const list = [
      { name: 'Doe, John', address: 'j@x.org' },
      { name: 'Back\\slash "q"', address: 'q@x.org' },
      { name: '', address: 'plain@x.org' },
      { name: 'Zoë', address: 'zoe@x.org' },
    ];
    assert.deepEqual(parseAddressList(formatAddressList(list)), list);
  });

  it('compares addresses case-insensitively and across IDN spellings', () => {
    assert.ok(sameAddress('Ann@Example.COM', { name: 'x', address: 'ann@example.com' }));
    assert.ok(sameAddress('j@bücher.de', 'J@xn--bcher-kva.de'));
    assert.ok(!sameAddress('ann@example.com', 'anne@example.com'));
    assert.ok(!sameAddress('', ''));
  });

  it('dedupes, keeps the first non-empty name, drops own and empty addresses', () => {
    const out = uniqueAddresses(
      [
        { name: '', address: 'ann@x.org' },
        { name: 'Me', address: 'ME@x.org' },
        { name: 'Ann', address: 'ANN@x.org' },
        { name: 'Group', address: '' },
        { name: 'Bob', address: 'bob@x.org' },
        { name: 'Other Bob', address: 'bob@x.org' },
        { name: 'Alias', address: 'alias@xn--bcher-kva.de' },
      ],
      ['me@x.org', 'alias@bücher.de'],
    );
    assert.deepEqual(out, [
      { name: 'Ann', address: 'ann@x.org' },
      { name: 'Bob', address: 'bob@x.org' },
    ]);
  });
});

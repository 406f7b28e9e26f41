import * as assert from 'node:assert/strict';
import type { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { MAX_SUGGESTIONS, rankAddresses } from '../../src/providers/compose/addressRanking';
import { defaultFrom, identities, resolveFrom } from '../../src/providers/compose/identity';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 31);

describe('address completion ranking', () => {
  it('ranks a frequent correspondent above one seen once', () => {
    const seen = [
      { name: 'Bob', address: 'bob@example.com', at: NOW - DAY },
      { name: 'Bob', address: 'bob@example.com', at: NOW - 2 * DAY },
      { name: 'Bob', address: 'bob@example.com', at: NOW - 3 * DAY },
      { name: 'Carol', address: 'carol@example.com', at: NOW - DAY },
    ];
    const ranked = rankAddresses({ seen, sent: [], now: NOW });
    assert.deepEqual(ranked.map((r) => r.address), ['bob@example.com', 'carol@example.com']);
  });

  it('ranks a recent correspondent above an equally frequent old one', () => {
    const seen = [
      { name: 'Old', address: 'old@example.com', at: NOW - 200 * DAY },
      { name: 'Old', address: 'old@example.com', at: NOW - 201 * DAY },
      { name: 'New', address: 'new@example.com', at: NOW - DAY },
      { name: 'New', address: 'new@example.com', at: NOW - 2 * DAY },
    ];
    assert.deepEqual(rankAddresses({ seen, sent: [], now: NOW }).map((r) => r.address), ['new@example.com', 'old@example.com']);
  });

  it('weighs people the user sent to above people who only wrote', () => {
    const seen = [
      { name: 'Writer', address: 'writer@example.com', at: NOW - DAY },
      { name: 'Writer', address: 'writer@example.com', at: NOW - DAY },
    ];
    const sent = [{ name: 'Friend', address: 'friend@example.com', count: 1, lastUsed: NOW - DAY }];
    assert.deepEqual(rankAddresses({ seen, sent, now: NOW }).map((r) => r.address), ['friend@example.com', 'writer@example.com']);
  });

  it('merges addresses case-insensitively and keeps the newest display name', () => {
    const seen = [
      { name: 'Robert', address: 'Bob@Example.com', at: NOW - 10 * DAY },
      { name: 'Bob Builder', address: 'bob@example.com', at: NOW - DAY },
      { name: '', address: 'BOB@example.com', at: NOW },
    ];
    const ranked = rankAddresses({ seen, sent: [], now: NOW });
    assert.equal(ranked.length, 1);
    assert.equal(ranked[0]!.address, 'bob@example.com');
    assert.equal(ranked[0]!.text, 'Bob Builder <bob@example.com>');
  });

  it('leaves out the user’s own addresses and junk', () => {
    const seen = [
      { name: 'Me', address: 'me@example.com', at: NOW },
      { name: 'Alias', address: 'ALIAS@example.com', at: NOW },
      { name: 'Broken', address: 'not-an-address', at: NOW },
      { name: 'Group', address: '', at: NOW },
      { name: 'Bob', address: 'bob@example.com', at: NOW },
    ];
    const ranked = rankAddresses({ seen, sent: [], exclude: ['me@example.com', 'alias@example.com'], now: NOW });
    assert.deepEqual(ranked.map((r) => r.address), ['bob@example.com']);
  });

  it('filters by the start of the address, its domain or a word of the name', () => {
    const seen = [
      { name: 'Jane Doe', address: 'jd@corp.example', at: NOW },
      { name: 'Bob', address: 'bob@home.example', at: NOW },
    ];
    const pick = (prefix: string): string[] => rankAddresses({ seen, sent: [], prefix, now: NOW }).map((r) => r.address);
    assert.deepEqual(pick('do'), ['jd@corp.example']);
    assert.deepEqual(pick('jan'), ['jd@corp.example']);
    assert.deepEqual(pick('home'), ['bob@home.example']);
    assert.deepEqual(pick('BO'), ['bob@home.example']);
    assert.deepEqual(pick('zzz'), []);
  });

  it('counts undated messages as old rather than dropping them', () => {
    const ranked = rankAddresses({ seen: [{ name: '', address: 'x@example.com', at: undefined }], sent: [], now: NOW });
    assert.equal(ranked.length, 1);
    assert.ok(ranked[0]!.score > 0 && ranked[0]!.score < 0.01);
    assert.equal(ranked[0]!.text, 'x@example.com');
  });

  it(`returns at most ${MAX_SUGGESTIONS} suggestions`, () => {
    const seen = Array.from({ length: 120 }, (_, i) => ({ name: '', address: `p${i}@example.com`, at: NOW - i * DAY }));
    const ranked = rankAddresses({ seen, sent: [], now: NOW });
    assert.equal(ranked.length, MAX_SUGGESTIONS);
    assert.equal(ranked[0]!.address, 'p0@example.com');
  });

  it('quotes display names with special characters', () => {
    // What completion inserts, for one correspondent with this name.
    const formatAddress = (name: string, address: string): string | undefined => rankAddresses({ seen: [{ name, address, at: NOW }], sent: [], now: NOW })[0]?.text;
    assert.equal(formatAddress('Doe, Jane', 'j@example.com'), '"Doe, Jane" <j@example.com>');
    assert.equal(formatAddress('Say "hi"', 'h@example.com'), '"Say \\"hi\\"" <h@example.com>');
    assert.equal(formatAddress('Plain Name', 'p@example.com'), 'Plain Name <p@example.com>');
    assert.equal(formatAddress('  ', 'p@example.com'), 'p@example.com');
  });
});

describe('sending identities', () => {
  const account: AccountConfig = {
    id: 'a',
    protocol: 'imap',
    host: 'imap.example.com',
    port: 993,
    security: 'tls',
    user: 'alice',
    email: 'alice@example.com',
    name: 'Alice Example',
    aliases: ['Alice@Work.example', 'alice@example.com'],
  };

  it('offers the account address first, then its aliases, without duplicates', () => {
    assert.deepEqual(identities(account), [
      { name: 'Alice Example', address: 'alice@example.com' },
      { name: 'Alice Example', address: 'Alice@Work.example' },
    ]);
    assert.equal(defaultFrom(account), 'Alice Example <alice@example.com>');
  });

  it('accepts an alias in any case and an empty From as the main address', () => {
    assert.deepEqual(resolveFrom(account, 'Work Me <alice@work.example>'), { name: 'Work Me', address: 'alice@work.example' });
    assert.deepEqual(resolveFrom(account, '  '), { name: 'Alice Example', address: 'alice@example.com' });
  });

  it('refuses a From that is not the account’s, naming the allowed addresses', () => {
    assert.throws(
      () => resolveFrom(account, 'Mallory <ceo@example.com>'),
      (err: unknown) => MailError.is(err, 'InvalidAddress') && /ceo@example\.com is not an address of/.test(err.message) && /alice@work\.example/.test(err.message) && /aliases/.test(err.message),
    );
    assert.throws(() => resolveFrom(account, 'a@example.com, alice@example.com'), (err: unknown) => MailError.is(err, 'InvalidAddress') && /exactly one/.test(err.message));
  });

  it('refuses to send from an account with no address at all', () => {
    const bare: AccountConfig = { id: 'b', protocol: 'imap', host: 'h', port: 993, security: 'tls', user: 'bob' };
    assert.equal(defaultFrom(bare), '');
    assert.throws(() => resolveFrom(bare, ''), (err: unknown) => MailError.is(err, 'InvalidAddress') && /set "email"/.test(err.message));
  });
});

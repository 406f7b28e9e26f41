import * as assert from 'node:assert/strict';
import { assertPasswordTransportAllowed, normalizeFingerprint, parseAccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';

const valid = { id: 'a1', protocol: 'imap', host: 'mail.example.test', port: 993, security: 'tls', user: 'alice' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return MailError.is(err) ? err.code : 'not a MailError';
  }
  return undefined;
}

describe('parseAccountConfig', () => {
  it('accepts a complete entry and trims strings', () => {
    const account = parseAccountConfig({ ...valid, host: ' mail.example.test ', label: '  Work ' });
    assert.equal(account.host, 'mail.example.test');
    assert.equal(account.label, 'Work');
    assert.equal(account.allowPlaintextPassword, undefined);
  });
  for (const [what, patch] of [
    ['a missing host', { host: undefined }],
    ['an unknown protocol', { protocol: 'smtp' }],
    ['an unknown security', { security: 'ssl' }],
    ['port 0', { port: 0 }],
    ['a fractional port', { port: 993.5 }],
    ['a port over 65535', { port: 70000 }],
    ['a malformed fingerprint', { trustedCertificateSha256: 'AB:CD' }],
  ] as const) {
    it(`rejects ${what} with InvalidAccount`, () => {
      assert.equal(codeOf(() => parseAccountConfig({ ...valid, ...patch })), 'InvalidAccount');
    });
  }
  it('rejects a non-object', () => {
    assert.equal(codeOf(() => parseAccountConfig('imap://x')), 'InvalidAccount');
    assert.equal(codeOf(() => parseAccountConfig(null)), 'InvalidAccount');
  });
  it('normalizes a pasted fingerprint', () => {
    const hex = 'ab'.repeat(32);
    const account = parseAccountConfig({ ...valid, trustedCertificateSha256: hex });
    assert.equal(account.trustedCertificateSha256, normalizeFingerprint(hex));
    assert.match(account.trustedCertificateSha256 ?? '', /^AB(:AB){31}$/);
  });
});

describe('assertPasswordTransportAllowed', () => {
  it('refuses an unencrypted link unless the account allows it', () => {
    const plain = parseAccountConfig({ ...valid, security: 'none', port: 143 });
    assert.equal(codeOf(() => assertPasswordTransportAllowed(plain)), 'InsecureAuthRefused');
    assert.equal(codeOf(() => assertPasswordTransportAllowed({ ...plain, allowPlaintextPassword: true })), undefined);
    assert.equal(codeOf(() => assertPasswordTransportAllowed(parseAccountConfig(valid))), undefined);
  });
});

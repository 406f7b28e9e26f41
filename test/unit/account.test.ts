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

describe('parseAccountConfig: auth "oauth2"', () => {
  const oauth = (oauth2: unknown, extra: Record<string, unknown> = {}): unknown => ({ ...valid, auth: 'oauth2', oauth2, ...extra });
  const refusal = (raw: unknown): MailError => {
    try {
      parseAccountConfig(raw);
    } catch (err) {
      if (MailError.is(err)) return err;
      throw err;
    }
    assert.fail('the entry was accepted');
  };

  it('accepts Microsoft with a tenant, Google with a client secret, and a custom https issuer with scopes', () => {
    const ms = parseAccountConfig(oauth({ provider: 'microsoft', clientId: ' 0f1e2d3c ', tenant: 'contoso.onmicrosoft.com' }));
    assert.equal(ms.auth, 'oauth2');
    assert.deepEqual(ms.oauth2, { provider: 'microsoft', clientId: '0f1e2d3c', tenant: 'contoso.onmicrosoft.com' });
    const google = parseAccountConfig(oauth({ provider: 'google', clientId: 'x.apps.googleusercontent.com', clientSecret: 'GOCSPX-not-secret' }));
    assert.equal(google.oauth2?.clientSecret, 'GOCSPX-not-secret');
    const custom = parseAccountConfig(oauth({ provider: 'custom', clientId: 'mailroom', issuer: 'https://sso.example.test/realms/mail', scope: ' openid mail ' }));
    assert.deepEqual(custom.oauth2, { provider: 'custom', clientId: 'mailroom', issuer: 'https://sso.example.test/realms/mail', scope: 'openid mail' });
  });

  it('accepts an http issuer only on loopback (a local test server)', () => {
    assert.equal(parseAccountConfig(oauth({ provider: 'custom', clientId: 'c', issuer: 'http://127.0.0.1:8080' })).oauth2?.issuer, 'http://127.0.0.1:8080');
    assert.match(refusal(oauth({ provider: 'custom', clientId: 'c', issuer: 'http://sso.example.test' })).message, /oauth2\.issuer must be the https address/);
  });

  for (const [what, raw, words] of [
    ['no oauth2 object', { ...valid, auth: 'oauth2' }, /needs an "oauth2" object with the provider and the client ID/],
    ['a missing clientId', oauth({ provider: 'microsoft' }), /oauth2\.clientId must be the client ID of your own app registration/],
    ['a blank clientId', oauth({ provider: 'google', clientId: '   ' }), /oauth2\.clientId/],
    ['an unknown provider', oauth({ provider: 'yahoo', clientId: 'c' }), /oauth2\.provider must be "microsoft", "google" or "custom"/],
    ['a custom provider without an issuer', oauth({ provider: 'custom', clientId: 'c' }), /oauth2\.issuer must be the https address of the sign-in server/],
    ['a custom issuer that is not a URL', oauth({ provider: 'custom', clientId: 'c', issuer: 'sso.example.test' }), /oauth2\.issuer/],
    ['a tenant with a path in it', oauth({ provider: 'microsoft', clientId: 'c', tenant: 'common/../evil' }), /oauth2\.tenant must be common, organizations, consumers, a tenant ID or a domain/],
    ['a tenant that is not a string', oauth({ provider: 'microsoft', clientId: 'c', tenant: 42 }), /oauth2\.tenant/],
    ['a scope with a quote in it', oauth({ provider: 'custom', clientId: 'c', issuer: 'https://sso.example.test', scope: 'mail "all"' }), /oauth2\.scope must be scope names separated by spaces/],
    ['an unknown auth', { ...valid, auth: 'kerberos' }, /auth must be "password" or "oauth2"/],
  ] as const) {
    it(`refuses ${what} with InvalidAccount naming the field`, () => {
      const err = refusal(raw);
      assert.equal(err.code, 'InvalidAccount');
      assert.match(err.message, words);
      assert.match(err.message, /^Invalid account setting: account "a1"/);
    });
  }
});

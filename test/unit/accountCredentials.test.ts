import * as assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import type { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { AccountCredentials, oauthClientFor } from '../../src/providers/auth/accountCredentials';
import { tokenSecretKey } from '../../src/providers/auth/secretTokenStore';
import { MemorySecrets } from '../fixtures/memorySecrets';

const base: AccountConfig = { id: 'acc', protocol: 'imap', host: 'outlook.office365.com', port: 993, security: 'tls', user: 'alice@contoso.test' };
const microsoft: AccountConfig = { ...base, auth: 'oauth2', oauth2: { provider: 'microsoft', clientId: 'client-1', tenant: 'contoso.test' } };

describe('account credentials', () => {
  it('asks Microsoft for the protocol and SMTP scopes plus offline_access, at the tenant\'s endpoints', async () => {
    const withSmtp = { ...microsoft, smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' as const } };
    const { client, scope, preset } = await oauthClientFor(withSmtp);
    assert.equal(preset?.id, 'microsoft');
    assert.equal(client.clientId, 'client-1');
    assert.equal(client.endpoints.tokenEndpoint, 'https://login.microsoftonline.com/contoso.test/oauth2/v2.0/token');
    assert.equal(scope, 'https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access');
    const pop = await oauthClientFor({ ...microsoft, protocol: 'pop3' });
    assert.equal(pop.scope, 'https://outlook.office.com/POP.AccessAsUser.All offline_access');
  });

  it('asks Google for its one mail scope and passes the Desktop-app client secret', async () => {
    const { client, scope } = await oauthClientFor({ ...base, auth: 'oauth2', oauth2: { provider: 'google', clientId: 'g', clientSecret: 's' } });
    assert.equal(scope, 'https://mail.google.com/');
    assert.equal(client.clientSecret, 's');
    assert.equal(client.endpoints.tokenEndpoint, 'https://oauth2.googleapis.com/token');
  });

  it('refuses a password account as an OAuth2 client', async () => {
    await assert.rejects(oauthClientFor(base), (err: unknown) => MailError.is(err, 'InvalidAccount'));
  });

  it('a password account logs in with its stored password, and says so when none is stored', async () => {
    const passwords = new Map([['acc', 'pw']]);
    const credentials = new AccountCredentials(new MemorySecrets() as unknown as vscode.SecretStorage, { getPassword: (id) => Promise.resolve(passwords.get(id)) });
    const source = credentials.for(base);
    assert.equal(source.kind, 'password');
    assert.deepEqual(await source.login(async (secret) => secret), { kind: 'password', password: 'pw' });
    passwords.clear();
    await assert.rejects(source.login(async () => 'never'), (err: unknown) => MailError.is(err, 'PasswordMissing') && /No password is stored for/.test(err.message));
  });

  it('an OAuth2 account that is not signed in is SignInRequired before any server is asked', async () => {
    const credentials = new AccountCredentials(new MemorySecrets() as unknown as vscode.SecretStorage, { getPassword: () => Promise.resolve('unused') });
    // Discovery of this issuer would fail with a network error, not SignInRequired.
    const custom: AccountConfig = { ...base, auth: 'oauth2', oauth2: { provider: 'custom', clientId: 'c', issuer: 'https://sso.invalid' } };
    let attempts = 0;
    for (const account of [microsoft, custom]) {
      const source = credentials.for(account);
      assert.equal(source.kind, 'token');
      await assert.rejects(
        source.login(async () => attempts++),
        (err: unknown) => MailError.is(err, 'SignInRequired') && /is not signed in\. Sign in to use this account\./.test(err.message),
      );
    }
    assert.equal(attempts, 0);
  });

  it('keeps one token source per account while its sign-in settings stay the same, and forgets the tokens on removal', async () => {
    const secrets = new MemorySecrets();
    const credentials = new AccountCredentials(secrets as unknown as vscode.SecretStorage, { getPassword: () => Promise.resolve(undefined) });
    const first = await credentials.tokenSource(microsoft);
    assert.equal(await credentials.tokenSource({ ...microsoft, label: 'renamed' }), first, 'a label change keeps the source (and its refresh in flight)');
    assert.notEqual(await credentials.tokenSource({ ...microsoft, oauth2: { ...microsoft.oauth2!, clientId: 'client-2' } }), first, 'another client ID is another source');
    await secrets.store(tokenSecretKey('acc'), JSON.stringify({ accessToken: 't', expiresAt: Date.now() + 3_600_000 }));
    await credentials.forget('acc');
    assert.equal(secrets.values.has(tokenSecretKey('acc')), false);
  });
});

// OAuth2 bearer tokens against a real mail server: Dovecot's oauth2 passdb asks the oidc-provider
// fixture's introspection endpoint about every token, as a Microsoft 365 or Gmail server checks
// its own. IMAP (imapflow: OAUTHBEARER where offered) and POP3 (our client: OAUTHBEARER and
// XOAUTH2) log in with a token from a real sign-in; an ended token is refused as AuthFailed, and
// the token source's one silent refresh gets the session going again.
import * as assert from 'node:assert/strict';
import type { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { connectImap } from '../../src/protocol/imap/connect';
import { silentLog } from '../../src/protocol/log';
import { discoverEndpoints } from '../../src/protocol/oauth/provider';
import { MemoryTokenStore, OAuthTokenSource } from '../../src/protocol/oauth/tokenSource';
import type { OAuthClient, TokenSet } from '../../src/protocol/oauth/tokens';
import { connectPop3 } from '../../src/protocol/pop3/connect';
import { probeEndpoint } from '../../src/protocol/probe/probe';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { dovecotOAuthConfig } from '../fixtures/dovecotOAuth';
import { signInByDeviceCode } from '../fixtures/oauthBrowser';
import { startOAuthServer, type OAuthServerFixture } from '../fixtures/oauthServer';
import { requireDovecot } from './requireDovecot';

describe('OAuth2 logins against Dovecot with an oauth2 passdb', function () {
  this.timeout(60_000);
  let oauth: OAuthServerFixture;
  let dovecot: DovecotFixture;
  let cleanup: () => void = () => undefined;
  let client: OAuthClient;

  before(async function () {
    requireDovecot(this);
    oauth = await startOAuthServer({ deviceIntervalSeconds: 1 });
    const config = dovecotOAuthConfig(oauth);
    cleanup = config.cleanup;
    dovecot = await startDovecot({ configExtra: config.configExtra });
    client = { endpoints: await discoverEndpoints(oauth.issuer), clientId: oauth.clientId };
  });
  after(async () => {
    await dovecot?.stop();
    await oauth?.stop();
    cleanup();
  });

  const signIn = (login: string): Promise<TokenSet> => signInByDeviceCode(client, login);

  const account = (protocol: 'imap' | 'pop3'): AccountConfig => ({
    id: `oauth-${protocol}`,
    protocol,
    host: dovecot.host,
    port: protocol === 'imap' ? dovecot.ports.imaps : dovecot.ports.pop3s,
    security: 'tls',
    user: dovecot.users.alice.user,
    trustedCertificateSha256: dovecot.certSha256,
  });

  it('IMAP logs in with an access token (OAUTHBEARER) and lists INBOX', async () => {
    const tokens = await signIn(dovecot.users.alice.user);
    const imap = await connectImap({ account: account('imap'), password: '', accessToken: tokens.accessToken, log: silentLog, timeoutMs: 5000 });
    try {
      const status = await imap.status('INBOX', { messages: true });
      assert.ok(status && (status.messages ?? 0) > 0);
    } finally {
      await imap.logout();
    }
  });

  for (const auth of ['oauthbearer', 'xoauth2', 'oauth2'] as const) {
    it(`POP3 logs in with an access token (${auth}) and sees the maildrop`, async () => {
      const tokens = await signIn(dovecot.users.alice.user);
      const pop = await connectPop3({ account: account('pop3'), password: tokens.accessToken, auth, log: silentLog, timeoutMs: 5000 });
      try {
        const stat = await pop.stat();
        assert.ok(stat.count > 0);
      } finally {
        await pop.quit();
      }
    });
  }

  it('a token the server calls inactive is AuthFailed on IMAP and POP3; the token source refreshes once and the login succeeds', async () => {
    const tokens = await signIn(dovecot.users.alice.user);
    oauth.expireAccessTokens();
    await assert.rejects(
      connectImap({ account: account('imap'), password: '', accessToken: tokens.accessToken, log: silentLog, timeoutMs: 5000 }),
      (err: unknown) => MailError.is(err, 'AuthFailed'),
    );
    await assert.rejects(
      connectPop3({ account: account('pop3'), password: tokens.accessToken, auth: 'oauth2', log: silentLog, timeoutMs: 5000 }),
      (err: unknown) => MailError.is(err, 'AuthFailed'),
    );
    const source = new OAuthTokenSource({ client, scope: 'openid offline_access mail', store: new MemoryTokenStore(tokens) });
    let attempts = 0;
    const imap = await source.withToken((accessToken) => {
      attempts++;
      return connectImap({ account: account('imap'), password: '', accessToken, log: silentLog, timeoutMs: 5000 });
    });
    await imap.logout();
    assert.equal(attempts, 2, 'the stale token, then the refreshed one');
  });

  it('a token issued to another user does not open this mailbox', async () => {
    const bobs = await signIn(dovecot.users.bob.user);
    await assert.rejects(
      connectImap({ account: account('imap'), password: '', accessToken: bobs.accessToken, log: silentLog, timeoutMs: 5000 }),
      (err: unknown) => MailError.is(err, 'AuthFailed'),
    );
  });

  it('the server check logs in with a bearer token on IMAP and POP3, and a stale token fails the login phase; the token is in no report', async () => {
    const tokens = await signIn(dovecot.users.alice.user);
    const credentials = { user: dovecot.users.alice.user, password: tokens.accessToken, bearer: true };
    for (const url of [`imaps://127.0.0.1:${dovecot.ports.imaps}`, `pop3s://127.0.0.1:${dovecot.ports.pop3s}`]) {
      const report = await probeEndpoint(url, { credentials, insecure: true });
      assert.equal(report.auth.login.ok, true, `${url}: ${JSON.stringify(report.auth.login)}`);
      assert.match(report.auth.login.method ?? '', /OAUTHBEARER/);
      assert.ok(!JSON.stringify(report).includes(tokens.accessToken), 'the token never reaches the report');
    }
    oauth.expireAccessTokens();
    const stale = await probeEndpoint(`imaps://127.0.0.1:${dovecot.ports.imaps}`, { credentials, insecure: true });
    assert.equal(stale.auth.login.ok, false);
    assert.ok(!JSON.stringify(stale).includes(tokens.accessToken));
  });

  it('passwords keep working beside the oauth2 passdb', async () => {
    const imap = await connectImap({ account: account('imap'), password: dovecot.users.alice.password, log: silentLog, timeoutMs: 5000 });
    await imap.logout();
  });
});

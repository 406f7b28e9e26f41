// Accounts with `auth: "oauth2"` end to end: the credentials the extension builds for an account
// (src/providers/auth/accountCredentials.ts over SecretStorage) log in on IMAP (the supervisor's
// command and IDLE connections), POP3 (the check engine), SMTP (sending) and the server check,
// against Dovecot with an oauth2 passdb and smtp-server, both asking oidc-provider's introspection
// endpoint about every token. Ended tokens get one silent refresh; ended grants end in
// SignInRequired, once, with no reconnect loop.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { AccountConfig } from '../../src/protocol/account';
import type { CredentialSource } from '../../src/protocol/credentials';
import { MailError } from '../../src/protocol/errors';
import { connectImap } from '../../src/protocol/imap/connect';
import { silentLog } from '../../src/protocol/log';
import { discoverEndpoints } from '../../src/protocol/oauth/provider';
import type { OAuthClient, TokenSet } from '../../src/protocol/oauth/tokens';
import { probeWithCredentials } from '../../src/protocol/probe';
import { sendWithCredentials } from '../../src/protocol/smtp/send';
import { AccountCredentials } from '../../src/providers/auth/accountCredentials';
import { tokenSecretKey } from '../../src/providers/auth/secretTokenStore';
import { Pop3Cache } from '../../src/store/pop3/cache';
import { checkMail } from '../../src/store/pop3/checkMail';
import { buildAccount, BuiltAccount, sleep, waitFor } from '../fixtures/accountHarness';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { dovecotOAuthConfig } from '../fixtures/dovecotOAuth';
import { generateCertificate } from '../fixtures/net';
import { signInByDeviceCode } from '../fixtures/oauthBrowser';
import { startOAuthServer, type OAuthServerFixture } from '../fixtures/oauthServer';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtpSink';
import { requireDovecot } from './requireDovecot';
import { MemorySecrets } from '../fixtures/memorySecrets';

/** Counts the logins the caller starts through `source` (each reconnect attempt is one). */
function countLogins(source: CredentialSource): { source: CredentialSource; logins: () => number } {
  let logins = 0;
  return {
    logins: () => logins,
    source: {
      kind: source.kind,
      login(attempt) {
        logins++;
        return source.login(attempt);
      },
    },
  };
}

describe('accounts with auth "oauth2" (Dovecot oauth2 passdb + oidc-provider + smtp-server)', function () {
  this.timeout(60_000);
  let oauth: OAuthServerFixture;
  let dovecot: DovecotFixture;
  let sink: SmtpSink;
  let smtpCertSha256: string;
  let tmp: string;
  let cleanup: () => void = () => undefined;
  let client: OAuthClient;
  const built: BuiltAccount[] = [];

  before(async function () {
    requireDovecot(this);
    oauth = await startOAuthServer({ deviceIntervalSeconds: 1 });
    const config = dovecotOAuthConfig(oauth);
    cleanup = config.cleanup;
    dovecot = await startDovecot({ configExtra: config.configExtra });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-oauth-accounts-'));
    const cert = generateCertificate(tmp);
    smtpCertSha256 = cert.sha256;
    sink = await startSmtpSink({ key: cert.keyPem, cert: cert.certPem, requireAuth: true, users: {}, introspect: (t) => oauth.introspect(t) });
    client = { endpoints: await discoverEndpoints(oauth.issuer), clientId: oauth.clientId };
  });
  afterEach(async () => {
    await Promise.all(built.splice(0).map((b) => b.account.close()));
  });
  after(async () => {
    await sink?.stop();
    await dovecot?.stop();
    await oauth?.stop();
    cleanup();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const signIn = (login: string): Promise<TokenSet> => signInByDeviceCode(client, login);

  const account = (protocol: 'imap' | 'pop3', id = `oauth-${protocol}`): AccountConfig => ({
    id,
    protocol,
    host: dovecot.host,
    port: protocol === 'imap' ? dovecot.ports.imaps : dovecot.ports.pop3s,
    security: 'tls',
    user: dovecot.users.alice.user,
    trustedCertificateSha256: dovecot.certSha256,
    smtp: { host: '127.0.0.1', port: sink.port, security: 'starttls', user: dovecot.users.alice.user, trustedCertificateSha256: smtpCertSha256 },
    auth: 'oauth2',
    oauth2: { provider: 'custom', clientId: oauth.clientId, issuer: oauth.issuer, scope: 'openid mail' },
  });

  /** The extension's credentials for `config`, with alice signed in (tokens in SecretStorage). */
  async function signedIn(config: AccountConfig): Promise<{ credentials: AccountCredentials; secrets: MemorySecrets; source: CredentialSource }> {
    const secrets = new MemorySecrets();
    await secrets.store(tokenSecretKey(config.id), JSON.stringify(await signIn(dovecot.users.alice.user)));
    const credentials = new AccountCredentials(secrets as unknown as vscode.SecretStorage, { getPassword: () => Promise.resolve(undefined) });
    const source = credentials.for(config);
    assert.equal(source.kind, 'token');
    return { credentials, secrets, source };
  }

  const refreshes = (): number => oauth.tokenRequests.refresh_token ?? 0;

  function imapAccount(config: AccountConfig, source: CredentialSource): BuiltAccount {
    const b = buildAccount(config, source, { root: fs.mkdtempSync(path.join(tmp, 'imap-')) });
    built.push(b);
    return b;
  }

  it('an IMAP account lists its folders and reads a message with an access token', async () => {
    const config = account('imap');
    const { source } = await signedIn(config);
    const { account: imap } = imapAccount(config, source);
    const listing = await imap.folders();
    assert.equal(listing.offline, false);
    assert.ok(listing.folders.some((f) => f.path === 'INBOX'), 'INBOX is listed');
    const inbox = await imap.openFolder('INBOX');
    await imap.sync('INBOX');
    const [first] = inbox.page(0, 1);
    assert.ok(first, 'INBOX has a message');
    const bytes = await imap.source('INBOX', first.uid);
    assert.match(bytes.toString('latin1'), /^Subject: /im);
  });

  it('after the server ends every access token, both connections log in again through one silent refresh', async () => {
    const config = account('imap');
    const { source } = await signedIn(config);
    const { account: imap, supervisor } = imapAccount(config, source);
    await imap.folders();
    await waitFor('IDLE on INBOX', () => supervisor.pushMode() === 'idle' && supervisor.state() === 'online');
    const before = refreshes();
    oauth.expireAccessTokens();
    // A forced reconnect of both connections: the server restarts, the stored tokens look valid.
    await dovecot.stopServer();
    await dovecot.startServer();
    supervisor.kick();
    await waitFor('both connections back', () => supervisor.pushMode() === 'idle' && supervisor.state() === 'online', 30_000);
    const listing = await imap.folders();
    assert.equal(listing.offline, false);
    assert.equal(refreshes() - before, 1, 'exactly one refresh at the token endpoint for the command and the IDLE connection');
  });

  it('two connections refused with the same ended token share one refresh, even when one refusal comes after the refresh', async () => {
    const config = account('imap', 'oauth-late-refusal');
    const { source } = await signedIn(config);
    oauth.expireAccessTokens();
    const before = refreshes();
    const login = (accessToken: string): Promise<void> =>
      connectImap({ account: config, password: '', accessToken, log: silentLog, timeoutMs: 5000 }).then((c) => c.logout());
    let releaseSlow: () => void = () => undefined;
    const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    let slowTries = 0;
    // The slow connection's first login is answered only after the fast one has refreshed and logged in.
    const slow = source.login(async (secret) => {
      assert.equal(secret.kind, 'token');
      if (secret.kind !== 'token') return;
      if (slowTries++ === 0) {
        await slowGate;
        return login(secret.accessToken);
      }
      return login(secret.accessToken);
    });
    await source.login((secret) => (secret.kind === 'token' ? login(secret.accessToken) : Promise.resolve()));
    releaseSlow();
    await slow;
    assert.equal(slowTries, 2);
    assert.equal(refreshes() - before, 1, 'one refresh for both connections');
  });

  it('a POP3 check logs in with a token, and an ended token gets one refresh', async () => {
    const config = account('pop3');
    const { source } = await signedIn(config);
    const cache = await Pop3Cache.open(path.join(tmp, 'pop3'), config.id);
    const check = (): ReturnType<typeof checkMail> =>
      checkMail({ account: config, credentials: source, cache, policy: { leaveOnServer: true }, log: silentLog, timeoutMs: 10_000, lockDir: path.join(tmp, 'locks') });
    const report = await check();
    assert.ok(report.onServer > 0, 'the maildrop is seen');
    const before = refreshes();
    oauth.expireAccessTokens();
    const again = await check();
    assert.equal(again.onServer, report.onServer);
    assert.equal(refreshes() - before, 1);
  });

  it('sending logs in to SMTP with a token (XOAUTH2), and an ended token gets one refresh and the message goes once', async () => {
    const config = account('imap', 'oauth-smtp');
    const { source } = await signedIn(config);
    const envelope = { from: 'alice@localhost', to: ['bob@localhost'] };
    const raw = (n: number): Buffer => Buffer.from(`From: alice@localhost\r\nTo: bob@localhost\r\nSubject: token ${n}\r\n\r\nsent with a token\r\n`);
    const target = { account: config, log: silentLog, timeoutMs: 5000 };
    const first = await sendWithCredentials(target, source, envelope, raw(1));
    assert.deepEqual(first.accepted, ['bob@localhost']);
    const before = refreshes();
    oauth.expireAccessTokens();
    await sendWithCredentials(target, source, envelope, raw(2));
    assert.equal(refreshes() - before, 1);
    const mails = await sink.waitForMail(2);
    assert.deepEqual(mails.map((m) => m.user), ['alice', 'alice']);
    assert.equal(mails.filter((m) => m.raw.toString().includes('Subject: token 2')).length, 1, 'the retried message is delivered once');
  });

  it('the server check of an account logs in with its token, refreshing an ended one', async () => {
    const config = account('imap', 'oauth-probe');
    const { source } = await signedIn(config);
    oauth.expireAccessTokens();
    const before = refreshes();
    const report = await probeWithCredentials(config, { timeoutMs: 5000 }, source);
    assert.equal(report.auth.login.ok, true, JSON.stringify(report.auth.login));
    assert.match(report.auth.login.method ?? '', /OAUTHBEARER|XOAUTH2/);
    assert.equal(refreshes() - before, 1);
  });

  it('after the grants are revoked, the account ends in SignInRequired once and stops trying', async () => {
    const config = account('imap', 'oauth-imap-revoked');
    const { source: real, secrets } = await signedIn(config);
    const counted = countLogins(real);
    const { account: imap, supervisor } = imapAccount(config, counted.source);
    await imap.folders();
    await waitFor('IDLE on INBOX', () => supervisor.pushMode() === 'idle' && supervisor.state() === 'online');
    oauth.revokeAllGrants();
    await dovecot.stopServer();
    await dovecot.startServer();
    supervisor.kick();
    let last = '';
    const error = await waitFor('a failed listing', async () => {
      try {
        const listing = await imap.folders();
        last = `listing (offline: ${listing.offline}, ${listing.error?.code ?? 'no error'}: ${listing.error?.message ?? ''}) after ${counted.logins()} logins`;
        return undefined;
      } catch (err) {
        return MailError.from(err);
      }
    }, 15_000).catch((err: unknown) => assert.fail(`${String(err)}; last: ${last}`));
    assert.equal(error.code, 'SignInRequired', `${error.code}: ${error.message}`);
    assert.match(error.message, /Sign in again/);
    assert.equal(secrets.values.has(tokenSecretKey(config.id)), false, 'the ended sign-in is forgotten');
    const settled = counted.logins();
    await sleep(3000);
    assert.equal(counted.logins(), settled, `no login attempts in the background after SignInRequired (${counted.logins() - settled} more in 3 s)`);
    assert.ok(settled <= 8, `login attempts bounded: ${settled}`);
  });
});

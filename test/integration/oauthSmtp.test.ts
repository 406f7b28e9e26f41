// Sending with an OAuth2 access token: nodemailer's AUTH XOAUTH2 against smtp-server, which checks
// the token with the oidc-provider fixture's introspection endpoint (as a submission server checks
// the tokens of its identity provider). A refused token is AuthFailed and is never in the error.
import * as assert from 'node:assert/strict';
import type { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { silentLog } from '../../src/protocol/log';
import { discoverEndpoints } from '../../src/protocol/oauth/provider';
import type { OAuthClient, TokenSet } from '../../src/protocol/oauth/tokens';
import { sendRaw } from '../../src/protocol/smtp/send';
import { generateCertificate } from '../fixtures/net';
import { signInByDeviceCode } from '../fixtures/oauthBrowser';
import { startOAuthServer, type OAuthServerFixture } from '../fixtures/oauthServer';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtpSink';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

describe('sending with an OAuth2 token (smtp-server + oidc-provider)', function () {
  this.timeout(30_000);
  let oauth: OAuthServerFixture;
  let sink: SmtpSink;
  let client: OAuthClient;
  let certSha256: string;
  let tmp: string;

  before(async () => {
    oauth = await startOAuthServer();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-oauth-smtp-'));
    const cert = generateCertificate(tmp);
    certSha256 = cert.sha256;
    sink = await startSmtpSink({ key: cert.keyPem, cert: cert.certPem, requireAuth: true, users: {}, introspect: (t) => oauth.introspect(t) });
    client = { endpoints: await discoverEndpoints(oauth.issuer), clientId: oauth.clientId };
  });
  after(async () => {
    await sink?.stop();
    await oauth?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const signIn = (login: string): Promise<TokenSet> => signInByDeviceCode(client, login);

  const account = (): AccountConfig => ({
    id: 'oauth-smtp', protocol: 'imap', host: '127.0.0.1', port: 993, security: 'tls', user: 'alice',
    smtp: { host: '127.0.0.1', port: sink.port, security: 'starttls', trustedCertificateSha256: certSha256 },
  });
  const raw = Buffer.from('From: alice@localhost\r\nTo: bob@localhost\r\nSubject: token\r\n\r\nsent with a token\r\n');
  const envelope = { from: 'alice@localhost', to: ['bob@localhost'] };

  it('sends with AUTH XOAUTH2 and an active token', async () => {
    const tokens = await signIn('alice');
    const result = await sendRaw({ account: account(), password: '', accessToken: tokens.accessToken, log: silentLog, timeoutMs: 5000 }, envelope, raw);
    assert.deepEqual(result.accepted, ['bob@localhost']);
    const [mail] = await sink.waitForMail(1);
    assert.equal(mail.user, 'alice');
  });

  it('an ended token is AuthFailed, and the token is nowhere in the error', async () => {
    const tokens = await signIn('alice');
    oauth.expireAccessTokens();
    await assert.rejects(
      sendRaw({ account: account(), password: '', accessToken: tokens.accessToken, log: silentLog, timeoutMs: 5000 }, envelope, raw),
      (err: unknown) => MailError.is(err, 'AuthFailed') && !JSON.stringify({ m: (err as MailError).message, d: (err as MailError).detail }).includes(tokens.accessToken),
    );
  });
});

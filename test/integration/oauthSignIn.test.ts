// OAuth2 sign-in against a real authorization server (oidc-provider on loopback): the browser flow
// with PKCE and a loopback redirect, the device flow, refresh, revocation and every refusal the
// user can meet, each with the error the user sees.
import * as assert from 'node:assert/strict';
import { MailError } from '../../src/protocol/errors';
import { signInWithBrowser } from '../../src/protocol/oauth/browserSignIn';
import { discoverEndpoints } from '../../src/protocol/oauth/provider';
import { startLoopbackRedirect } from '../../src/protocol/oauth/loopback';
import { MemoryTokenStore, OAuthTokenSource } from '../../src/protocol/oauth/tokenSource';
import { pollDeviceToken, refreshTokens, startDeviceAuthorization, type OAuthClient } from '../../src/protocol/oauth/tokens';
import { actAsUser } from '../fixtures/oauthBrowser';
import { startOAuthServer, type OAuthServerFixture } from '../fixtures/oauthServer';

describe('OAuth2 sign-in against oidc-provider', function () {
  this.timeout(30_000);
  let server: OAuthServerFixture;
  let client: OAuthClient;
  const scope = 'openid offline_access mail';

  before(async () => {
    server = await startOAuthServer({ deviceIntervalSeconds: 1 });
    client = { endpoints: await discoverEndpoints(server.issuer), clientId: server.clientId };
  });
  after(async () => server?.stop());

  async function browserSignIn(login = 'alice'): Promise<Awaited<ReturnType<typeof signInWithBrowser>>> {
    return signInWithBrowser({
      client,
      scope,
      openUrl: async (url) => {
        const target = new URL(new URL(url).searchParams.get('redirect_uri')!).origin;
        void actAsUser(url, { login }, target);
        return true;
      },
      timeoutMs: 20_000,
    });
  }

  it('discovers the endpoints from the issuer', async () => {
    const endpoints = await discoverEndpoints(server.issuer);
    assert.equal(endpoints.tokenEndpoint, `${server.issuer}/token`);
    assert.equal(endpoints.authorizationEndpoint, `${server.issuer}/auth`);
    assert.equal(endpoints.deviceAuthorizationEndpoint, `${server.issuer}/device/auth`);
  });

  it('signs in through the browser with PKCE and a loopback redirect, and the token is active for the mail server', async () => {
    const tokens = await browserSignIn('alice');
    assert.ok(tokens.refreshToken, 'a refresh token');
    assert.match(tokens.scope ?? '', /mail/, 'the granted scope comes back and is used for refreshes');
    assert.ok(tokens.expiresAt > Date.now());
    const info = await server.introspect(tokens.accessToken);
    assert.equal(info.active, true);
    assert.equal(info.username, 'alice');
  });

  it('refreshes: a new access token from the refresh token', async () => {
    const tokens = await browserSignIn('alice');
    const next = await refreshTokens(client, tokens.refreshToken!, tokens.scope);
    assert.notEqual(next.accessToken, tokens.accessToken);
    assert.equal((await server.introspect(next.accessToken)).active, true);
  });

  it('the device flow: the user types the code on the server page, the app polls until the token comes', async () => {
    const device = await startDeviceAuthorization(client, scope);
    assert.match(device.userCode, /\S/);
    assert.equal(device.intervalSeconds, 1);
    const polled = pollDeviceToken(client, device);
    const page = await actAsUser(device.verificationUri, { login: 'bob', userCode: device.userCode });
    assert.equal(page.status, 200, page.trail.join('\n'));
    const tokens = await polled;
    assert.equal((await server.introspect(tokens.accessToken)).username, 'bob');
  });

  it('a revoked grant makes the refresh fail with SignInRequired, and the stored tokens are dropped', async () => {
    const tokens = await browserSignIn('alice');
    const store = new MemoryTokenStore({ ...tokens, expiresAt: Date.now() - 1 });
    const source = new OAuthTokenSource({ client, scope, store });
    server.revokeAllGrants();
    await assert.rejects(source.accessToken(), (err: unknown) => MailError.is(err, 'SignInRequired') && /Sign in again/.test((err as Error).message));
    assert.equal(await store.load(), undefined);
  });

  it('an expired access token is refreshed silently once and the login retried; a second refusal asks to sign in again', async () => {
    const tokens = await browserSignIn('alice');
    const source = new OAuthTokenSource({ client, scope, store: new MemoryTokenStore(tokens) });
    server.expireAccessTokens();
    const seen: string[] = [];
    const loginWithIntrospection = async (token: string): Promise<string> => {
      seen.push(token);
      if (!(await server.introspect(token)).active) throw new MailError('AuthFailed', 'refused');
      return 'logged in';
    };
    assert.equal(await source.withToken(loginWithIntrospection), 'logged in');
    assert.equal(seen.length, 2);
    assert.notEqual(seen[0], seen[1]);
    let calls = 0;
    await assert.rejects(source.withToken(async () => {
      calls++;
      throw new MailError('AuthFailed', 'refused');
    }), (err: unknown) => MailError.is(err, 'SignInRequired'));
    assert.equal(calls, 2, 'one retry, no loop');
  });

  it('declining on the consent page ends the sign-in with access_denied in words', async () => {
    await assert.rejects(signInWithBrowser({
      client,
      scope,
      openUrl: async (url) => {
        const target = new URL(new URL(url).searchParams.get('redirect_uri')!).origin;
        void actAsUser(url, { login: 'alice', decline: true }, target);
        return true;
      },
      timeoutMs: 20_000,
    }), (err: unknown) => MailError.is(err, 'AuthFailed') && /declined/.test((err as Error).message));
  });

  it('an unknown client ID is refused with words about the app registration', async () => {
    const stranger: OAuthClient = { ...client, clientId: 'not-registered' };
    await assert.rejects(startDeviceAuthorization(stranger, scope), (err: unknown) => MailError.is(err, 'AuthFailed') && /client ID/.test((err as Error).message));
  });

  it('a redirect with the wrong state is refused and ends the flow', async () => {
    const redirect = await startLoopbackRedirect({ state: 'expected', timeoutMs: 5_000 });
    const res = await fetch(`${redirect.redirectUri}?code=stolen&state=forged`);
    assert.equal(res.status, 400);
    await assert.rejects(redirect.code, (err: unknown) => MailError.is(err, 'AuthFailed') && /state did not match/.test((err as Error).message));
    await assert.rejects(fetch(`${redirect.redirectUri}?code=x&state=expected`), 'the listener is closed after one use');
  });

  it('the loopback listener gives up after its timeout', async () => {
    const redirect = await startLoopbackRedirect({ state: 's', timeoutMs: 200 });
    await assert.rejects(redirect.code, (err: unknown) => MailError.is(err, 'Timeout'));
  });
});

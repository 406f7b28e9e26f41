// auth.refresh: what an ended access token costs an IMAP login. The token login is refused by
// Dovecot (its oauth2 passdb asks oidc-provider's introspection endpoint), the token source
// refreshes once at the token endpoint, and the login is made again. Baseline: a password login to
// the same Dovecot in the same run. auth.token: a login with a valid token against the same
// baseline (the introspection round trip Dovecot makes per login). Both go through the
// credentials the extension builds for an account (src/providers/auth/accountCredentials.ts).
import type * as vscode from 'vscode';
import type { AccountConfig } from '../../src/protocol/account';
import { connectImap } from '../../src/protocol/imap/connect';
import { silentLog } from '../../src/protocol/log';
import { discoverEndpoints } from '../../src/protocol/oauth/provider';
import { AccountCredentials } from '../../src/providers/auth/accountCredentials';
import { tokenSecretKey } from '../../src/providers/auth/secretTokenStore';
import { dovecotAvailable, startDovecot } from '../../test/fixtures/dovecot';
import { dovecotOAuthConfig } from '../../test/fixtures/dovecotOAuth';
import { MemorySecrets } from '../../test/fixtures/memorySecrets';
import { signInByDeviceCode } from '../../test/fixtures/oauthBrowser';
import { startOAuthServer } from '../../test/fixtures/oauthServer';
import { BenchSuite, median } from '../report';

const SAMPLES = 9;

export const run: BenchSuite = async ({ emit, fail }) => {
  if (!dovecotAvailable()) {
    fail('auth.refresh needs Dovecot (/usr/sbin/dovecot)');
    return;
  }
  const oauth = await startOAuthServer({ deviceIntervalSeconds: 1 });
  const config = dovecotOAuthConfig(oauth);
  const dovecot = await startDovecot({ configExtra: config.configExtra });
  try {
    const alice = dovecot.users.alice;
    const account: AccountConfig = {
      id: 'bench-oauth',
      protocol: 'imap',
      host: dovecot.host,
      port: dovecot.ports.imaps,
      security: 'tls',
      user: alice.user,
      trustedCertificateSha256: dovecot.certSha256,
      auth: 'oauth2',
      oauth2: { provider: 'custom', clientId: oauth.clientId, issuer: oauth.issuer, scope: 'openid mail' },
    };
    const client = { endpoints: await discoverEndpoints(oauth.issuer), clientId: oauth.clientId };
    const storage = new MemorySecrets();
    await storage.store(tokenSecretKey(account.id), JSON.stringify(await signInByDeviceCode(client, alice.user)));
    const credentials = new AccountCredentials(storage as unknown as vscode.SecretStorage, { getPassword: () => Promise.resolve(alice.password) });
    const tokenLogin = credentials.for(account);
    const passwordLogin = credentials.for({ ...account, auth: 'password' });
    const timed = async (source: typeof tokenLogin): Promise<number> => {
      const t0 = performance.now();
      const imap = await source.login((secret) =>
        connectImap({
          account,
          password: secret.kind === 'password' ? secret.password : '',
          ...(secret.kind === 'token' ? { accessToken: secret.accessToken } : {}),
          log: silentLog,
          timeoutMs: 10_000,
        }),
      );
      const ms = performance.now() - t0;
      await imap.logout();
      return ms;
    };
    // Warm-up: Dovecot's login and auth processes, TLS, the issuer's metadata.
    await timed(passwordLogin);
    await timed(tokenLogin);

    const password: number[] = [];
    const token: number[] = [];
    const refresh: number[] = [];
    const refreshesBefore = oauth.tokenRequests.refresh_token ?? 0;
    for (let i = 0; i < SAMPLES; i++) {
      password.push(await timed(passwordLogin));
      token.push(await timed(tokenLogin));
      oauth.expireAccessTokens();
      refresh.push(await timed(tokenLogin));
    }
    const refreshes = (oauth.tokenRequests.refresh_token ?? 0) - refreshesBefore;
    if (refreshes !== SAMPLES) fail(`auth.refresh: ${refreshes} refreshes for ${SAMPLES} ended tokens (one each expected)`);
    const baseline = median(password);
    emit('auth.token', median(token), 'ms', baseline, { samples: SAMPLES });
    emit('auth.refresh', median(refresh), 'ms', baseline, { samples: SAMPLES, refreshes });
  } finally {
    await dovecot.stop();
    await oauth.stop();
    config.cleanup();
  }
};

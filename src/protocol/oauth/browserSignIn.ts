/**
 * Sign-in through the user's browser: authorization code with PKCE and a loopback redirect
 * (RFC 6749 4.1, RFC 7636, RFC 8252). The browser is opened by the caller (VS Code's
 * openExternal), so this module knows nothing of the editor.
 */
import { createPkce, createState } from './pkce';
import { startLoopbackRedirect } from './loopback';
import { exchangeCode, type OAuthClient, type TokenSet } from './tokens';

export interface BrowserSignInOptions {
  client: OAuthClient;
  scope: string;
  /** Opens the authorization URL in a browser; resolves false when it could not. */
  openUrl(url: string): Promise<boolean>;
  /** Pre-fills the account on the provider's page. */
  loginHint?: string;
  /** Provider-specific parameters (Google: access_type=offline, prompt=consent for a refresh token). */
  extraParams?: Record<string, string>;
  /** How long to wait for the browser; default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export const BROWSER_SIGN_IN_TIMEOUT_MS = 5 * 60_000;

export function authorizationUrl(client: OAuthClient, params: { redirectUri: string; scope: string; state: string; challenge: string; loginHint?: string; extra?: Record<string, string> }): string {
  const url = new URL(client.endpoints.authorizationEndpoint);
  const query: Record<string, string> = {
    ...params.extra,
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: params.redirectUri,
    scope: params.scope,
    state: params.state,
    code_challenge: params.challenge,
    code_challenge_method: 'S256',
  };
  if (params.loginHint) query.login_hint = params.loginHint;
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.href;
}

export async function signInWithBrowser(options: BrowserSignInOptions): Promise<TokenSet> {
  const pkce = createPkce();
  const state = createState();
  const redirect = await startLoopbackRedirect({ state, timeoutMs: options.timeoutMs ?? BROWSER_SIGN_IN_TIMEOUT_MS });
  const onAbort = (): void => redirect.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const url = authorizationUrl(options.client, {
      redirectUri: redirect.redirectUri,
      scope: options.scope,
      state,
      challenge: pkce.challenge,
      loginHint: options.loginHint,
      extra: options.extraParams,
    });
    if (!(await options.openUrl(url))) redirect.close();
    const code = await redirect.code;
    return await exchangeCode(options.client, code, redirect.redirectUri, pkce.verifier);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    redirect.close();
  }
}

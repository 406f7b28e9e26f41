/**
 * The token endpoint (RFC 6749) and the device authorization endpoint (RFC 8628) of an
 * authorization server, for a public client (an installed app has no secret it could keep; a
 * secret, where a provider insists on one, is sent but not relied on).
 */
import { MailError } from '../errors';
import { postForm, type OAuthHttpResponse } from './http';
import type { OAuthEndpoints } from './provider';

export interface TokenSet {
  accessToken: string;
  /** Absent when the server gives none (then the user signs in again when the access token ends). */
  refreshToken?: string;
  /** Milliseconds since the epoch; the server's expires_in, or one hour when it gives none. */
  expiresAt: number;
  scope?: string;
}

export interface OAuthClient {
  endpoints: OAuthEndpoints;
  clientId: string;
  clientSecret?: string;
}

/** Assumed lifetime when the server does not say (RFC 6749 leaves expires_in optional). */
const DEFAULT_EXPIRES_IN_S = 3600;

export async function exchangeCode(client: OAuthClient, code: string, redirectUri: string, verifier: string, now = Date.now()): Promise<TokenSet> {
  const res = await postForm(client.endpoints.tokenEndpoint, withClient(client, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  }), 'sign-in server');
  return tokenSetFrom(res, now, undefined);
}

/** A new access token from the refresh token; keeps the old refresh token when no new one comes (RFC 6749 6). */
export async function refreshTokens(client: OAuthClient, refreshToken: string, scope: string | undefined, now = Date.now()): Promise<TokenSet> {
  const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
  if (scope) form.scope = scope;
  const res = await postForm(client.endpoints.tokenEndpoint, withClient(client, form), 'sign-in server');
  return tokenSetFrom(res, now, refreshToken);
}

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Seconds between polls (RFC 8628 3.2: 5 when the server does not say). */
  intervalSeconds: number;
  expiresAt: number;
}

export async function startDeviceAuthorization(client: OAuthClient, scope: string, now = Date.now()): Promise<DeviceAuthorization> {
  const endpoint = client.endpoints.deviceAuthorizationEndpoint;
  if (!endpoint) {
    throw new MailError('Unsupported', 'This sign-in server does not offer sign-in with a code on another device.');
  }
  const res = await postForm(endpoint, withClient(client, { scope }), 'sign-in server');
  const json = res.json;
  if (res.status !== 200 || !json) throw oauthError(res);
  const deviceCode = json.device_code;
  const userCode = json.user_code;
  const verificationUri = json.verification_uri ?? json.verification_url; // Google's older name
  const expiresIn = json.expires_in;
  if (typeof deviceCode !== 'string' || typeof userCode !== 'string' || typeof verificationUri !== 'string' || typeof expiresIn !== 'number') {
    throw new MailError('ProtocolError', 'The sign-in server gave an incomplete answer to the request for a device code.', { detail: describe(json) });
  }
  return {
    deviceCode,
    userCode,
    verificationUri,
    verificationUriComplete: typeof json.verification_uri_complete === 'string' ? json.verification_uri_complete : undefined,
    intervalSeconds: typeof json.interval === 'number' && json.interval > 0 ? json.interval : 5,
    expiresAt: now + expiresIn * 1000,
  };
}

export interface DevicePollOptions {
  /** Resolves after ms; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Stops polling (the user cancelled). */
  signal?: AbortSignal;
}

/**
 * Polls the token endpoint until the user has entered the code (RFC 8628 3.4/3.5):
 * authorization_pending waits the interval, slow_down adds 5 s to it for good, expired_token and
 * access_denied end it with a message, and so does the code's own expiry.
 */
export async function pollDeviceToken(client: OAuthClient, device: DeviceAuthorization, options: DevicePollOptions = {}): Promise<TokenSet> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  let interval = device.intervalSeconds;
  for (;;) {
    await sleep(interval * 1000);
    if (options.signal?.aborted) {
      throw new MailError('AuthFailed', 'Sign-in was cancelled.');
    }
    if (now() >= device.expiresAt) {
      throw expiredCode();
    }
    const res = await postForm(client.endpoints.tokenEndpoint, withClient(client, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: device.deviceCode,
    }), 'sign-in server');
    const error = res.json?.error;
    if (res.status === 200) return tokenSetFrom(res, now(), undefined);
    if (error === 'authorization_pending') continue;
    if (error === 'slow_down') {
      interval += 5;
      continue;
    }
    if (error === 'expired_token') throw expiredCode();
    throw oauthError(res);
  }
}

function expiredCode(): MailError {
  return new MailError('AuthFailed', 'The sign-in code expired before it was entered. Start the sign-in again to get a new code.');
}

function withClient(client: OAuthClient, form: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...form, client_id: client.clientId };
  if (client.clientSecret) out.client_secret = client.clientSecret;
  return out;
}

function tokenSetFrom(res: OAuthHttpResponse, now: number, previousRefresh: string | undefined): TokenSet {
  const json = res.json;
  if (res.status !== 200 || !json) throw oauthError(res);
  const accessToken = json.access_token;
  const tokenType = json.token_type;
  if (typeof accessToken !== 'string' || !accessToken) {
    throw new MailError('ProtocolError', 'The sign-in server answered without an access token.', { detail: describe(json) });
  }
  if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer') {
    throw new MailError('Unsupported', `The sign-in server issued a "${tokenType}" token; mail servers accept only bearer tokens.`);
  }
  const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in ?? DEFAULT_EXPIRES_IN_S);
  const set: TokenSet = {
    accessToken,
    expiresAt: now + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_EXPIRES_IN_S) * 1000,
  };
  const refresh = typeof json.refresh_token === 'string' && json.refresh_token ? json.refresh_token : previousRefresh;
  if (refresh) set.refreshToken = refresh;
  if (typeof json.scope === 'string') set.scope = json.scope;
  return set;
}

/** OAuth error codes (RFC 6749 5.2, RFC 8628 3.5) in words a user can act on. */
const ERROR_WORDS: Record<string, string> = {
  invalid_grant: 'The sign-in is no longer valid (it was revoked, expired or the password changed). Sign in again.',
  access_denied: 'Sign-in was declined, so Mailroom got no access. Sign in again and allow access to mail.',
  invalid_client: 'The sign-in server does not know this app registration (client ID). Check the client ID in the account\'s sign-in settings.',
  unauthorized_client: 'This app registration (client ID) may not sign in this way. Check how the app is registered with the provider.',
  invalid_scope: 'The sign-in server refused the mail permissions Mailroom asked for. Check that the app registration allows them.',
  unsupported_grant_type: 'The sign-in server does not support this way of signing in.',
  invalid_request: 'The sign-in server rejected the request as malformed.',
  temporarily_unavailable: 'The sign-in server is temporarily unavailable. Try again in a few minutes.',
  server_error: 'The sign-in server had an internal error. Try again later.',
};

/** A MailError for a refused token or device request; invalid_grant means the user must sign in again. */
export function oauthError(res: OAuthHttpResponse): MailError {
  const code = typeof res.json?.error === 'string' ? res.json.error : undefined;
  const description = typeof res.json?.error_description === 'string' ? res.json.error_description : undefined;
  const detail = `HTTP ${res.status}${code ? ` ${code}` : ''}${description ? `: ${description}` : ''}`;
  if (code === 'invalid_grant') return new MailError('SignInRequired', ERROR_WORDS.invalid_grant, { detail });
  const words = (code && ERROR_WORDS[code]) ?? `The sign-in server refused the request (${code ?? `HTTP ${res.status}`}).`;
  return new MailError('AuthFailed', words, { detail });
}

/** A JSON answer for a log line, with every token-like value masked. */
function describe(json: Record<string, unknown>): string {
  return Object.entries(json)
    .map(([k, v]) => `${k}=${/token|code|secret/i.test(k) ? '(secret)' : JSON.stringify(v)}`)
    .join(' ')
    .slice(0, 500);
}

/**
 * The OAuth2 client and scope of an account: its provider's endpoints (Microsoft per tenant, Google,
 * or a custom issuer's discovery document), its own app registration, and the scopes its mail
 * services need. Local to the sign-in until branch oauth-plumbing's `oauthClientFor(account)` in
 * accountCredentials.ts is merged; then this file gives way to it.
 */
import type { AccountConfig, OAuth2Settings } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import { discoverEndpoints, GOOGLE_ENDPOINTS, microsoftEndpoints, PRESETS, scopesFor, type MailService } from '../../protocol/oauth/provider';
import type { OAuthClient } from '../../protocol/oauth/tokens';

export interface AccountOAuthClient {
  client: OAuthClient;
  scope: string;
  /** Extra authorization-request parameters (Google gives a refresh token only with these). */
  extraParams?: Record<string, string>;
}

/** A custom issuer names no mail scopes; OpenID's and the refresh token's are what every issuer knows. */
export const CUSTOM_ISSUER_SCOPE = 'openid email offline_access';

/** The services an account signs in to: its mailbox protocol, and SMTP when it sends. */
export function servicesOf(account: AccountConfig): MailService[] {
  return account.smtp ? [account.protocol, 'smtp'] : [account.protocol];
}

export async function accountOAuthClient(account: AccountConfig): Promise<AccountOAuthClient> {
  const settings = requireOAuth2(account);
  const base = { clientId: settings.clientId, ...(settings.clientSecret ? { clientSecret: settings.clientSecret } : {}) };
  switch (settings.provider) {
    case 'microsoft':
      return { client: { ...base, endpoints: microsoftEndpoints(settings.tenant) }, scope: scopesFor(PRESETS.microsoft, servicesOf(account)) };
    case 'google':
      return {
        client: { ...base, endpoints: GOOGLE_ENDPOINTS },
        scope: scopesFor(PRESETS.google, servicesOf(account)),
        extraParams: { access_type: 'offline', prompt: 'consent' },
      };
    case 'custom': {
      if (!settings.issuer) throw new MailError('InvalidAccount', `The account "${account.id}" signs in with a custom provider but names no issuer (oauth2.issuer).`);
      return { client: { ...base, endpoints: await discoverEndpoints(settings.issuer) }, scope: CUSTOM_ISSUER_SCOPE };
    }
  }
}

function requireOAuth2(account: AccountConfig): OAuth2Settings {
  if (account.auth !== 'oauth2' || !account.oauth2) {
    throw new MailError('InvalidAccount', `The account "${account.id}" signs in with a password, not OAuth2; there is nothing to sign in to.`);
  }
  return account.oauth2;
}

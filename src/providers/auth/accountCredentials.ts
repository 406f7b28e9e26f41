/**
 * The one place that turns an account's settings into what its logins use: the password from
 * SecretStorage, or for `auth: "oauth2"` an OAuthTokenSource over the tokens in SecretStorage. One
 * token source per account and settings, so the IMAP command and IDLE connections, a POP3 check
 * and a send that are refused together share one refresh.
 */
import type * as vscode from 'vscode';
import { AccountConfig, accountLabel, OAuth2Settings, usesOAuth2 } from '../../protocol/account';
import { CredentialSource, passwordCredentials, tokenCredentials } from '../../protocol/credentials';
import { MailError } from '../../protocol/errors';
import type { MailService, OAuthEndpoints, OAuthProviderPreset } from '../../protocol/oauth/provider';
import type { OAuthTokenSource } from '../../protocol/oauth/tokenSource';
import type { OAuthClient } from '../../protocol/oauth/tokens';
import { loadEngine } from '../../loadEngine';
import { SecretTokenStore, tokenSecretKey } from './secretTokenStore';

export interface OAuthClientInfo {
  client: OAuthClient;
  /** The scopes to ask for at sign-in and on refresh: the account's protocol, and SMTP when it sends. */
  scope: string;
  /** Undefined for provider "custom". */
  preset: OAuthProviderPreset | undefined;
}

/** Metadata per issuer, read once per session (a failed read is not kept: the next login asks again). */
const discovered = new Map<string, Promise<OAuthEndpoints>>();

function endpointsFor(settings: OAuth2Settings): Promise<OAuthEndpoints> {
  switch (settings.provider) {
    case 'microsoft':
      return Promise.resolve(loadEngine().microsoftEndpoints(settings.tenant));
    case 'google':
      return Promise.resolve(loadEngine().GOOGLE_ENDPOINTS);
    case 'custom': {
      const issuer = settings.issuer;
      if (!issuer) return Promise.reject(new MailError('InvalidAccount', 'Invalid account setting: oauth2.issuer is needed with provider "custom".'));
      let pending = discovered.get(issuer);
      if (!pending) {
        pending = loadEngine().discoverEndpoints(issuer);
        discovered.set(issuer, pending);
        pending.catch(() => discovered.delete(issuer));
      }
      return pending;
    }
  }
}

/** The services an account's sign-in covers: its mail protocol, plus SMTP when it has an outgoing server. */
export function servicesOf(account: AccountConfig): MailService[] {
  return account.smtp ? [account.protocol, 'smtp'] : [account.protocol];
}

/** The OAuth client (endpoints, client ID) and scope of an account with `auth: "oauth2"`. */
export async function oauthClientFor(account: AccountConfig): Promise<OAuthClientInfo> {
  if (!usesOAuth2(account)) {
    throw new MailError('InvalidAccount', `${accountLabel(account)} signs in with a password, not OAuth2.`);
  }
  const settings = account.oauth2;
  const { PRESETS, scopesFor } = loadEngine();
  const preset = settings.provider === 'custom' ? undefined : PRESETS[settings.provider];
  const extra = preset ? [] : ['offline_access', ...(settings.scope?.split(/\s+/).filter(Boolean) ?? [])];
  const client: OAuthClient = {
    endpoints: await endpointsFor(settings),
    clientId: settings.clientId,
    ...(settings.clientSecret ? { clientSecret: settings.clientSecret } : {}),
  };
  return { client, scope: scopesFor(preset, servicesOf(account), extra), preset };
}

/** Where the password of an account is read (AccountRepository). */
export interface PasswordSource {
  getPassword(accountId: string): PromiseLike<string | undefined>;
}

/**
 * Credential sources per account. A token source is kept while the account's sign-in settings
 * stay the same; changing them (another client ID, tenant or issuer) starts a new one.
 */
export class AccountCredentials {
  private readonly tokenSources = new Map<string, { key: string; source: Promise<OAuthTokenSource> }>();

  constructor(private readonly secrets: vscode.SecretStorage, private readonly passwords: PasswordSource) {}

  for(account: AccountConfig): CredentialSource {
    if (!usesOAuth2(account)) return passwordCredentials(() => this.passwords.getPassword(account.id), accountLabel(account));
    const store = new SecretTokenStore(this.secrets, account.id);
    return {
      kind: 'token',
      login: async (attempt) => {
        // Never signed in (or the sign-in ended): say so without asking any server.
        if (!(await store.load())) {
          throw new MailError('SignInRequired', `${accountLabel(account)} is not signed in. Sign in to use this account.`);
        }
        return tokenCredentials(await this.tokenSource(account)).login(attempt);
      },
    };
  }

  /** The token source of an OAuth2 account (the sign-in command stores into the same SecretStorage key). */
  tokenSource(account: AccountConfig): Promise<OAuthTokenSource> {
    const key = JSON.stringify([account.oauth2, servicesOf(account)]);
    const cached = this.tokenSources.get(account.id);
    if (cached?.key === key) return cached.source;
    const source = oauthClientFor(account).then(
      ({ client, scope }) => new (loadEngine().OAuthTokenSource)({ client, scope, store: new SecretTokenStore(this.secrets, account.id) }),
    );
    this.tokenSources.set(account.id, { key, source });
    // A failed discovery is not kept: the next login reads the issuer again.
    source.catch(() => {
      if (this.tokenSources.get(account.id)?.source === source) this.tokenSources.delete(account.id);
    });
    return source;
  }

  /** Forgets the account's token source and deletes its tokens (the account was removed). */
  async forget(accountId: string): Promise<void> {
    this.tokenSources.delete(accountId);
    await this.secrets.delete(tokenSecretKey(accountId));
  }
}

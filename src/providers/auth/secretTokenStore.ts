import type * as vscode from 'vscode';
import type { TokenStore } from '../../protocol/oauth/tokenSource';
import type { TokenSet } from '../../protocol/oauth/tokens';

/** The SecretStorage key of an account's OAuth2 token set (never in settings, logs or reports). */
export const tokenSecretKey = (accountId: string): string => `mailroom.oauth2.${accountId}`;

/**
 * An account's OAuth2 tokens in SecretStorage, as one JSON value. A value that does not parse is
 * treated as no sign-in (the user signs in again), never as a crash.
 */
export class SecretTokenStore implements TokenStore {
  constructor(private readonly secrets: vscode.SecretStorage, private readonly accountId: string) {}

  async load(): Promise<TokenSet | undefined> {
    const raw = await this.secrets.get(tokenSecretKey(this.accountId));
    if (!raw) return undefined;
    try {
      const value = JSON.parse(raw) as Partial<TokenSet>;
      if (typeof value.accessToken !== 'string' || typeof value.expiresAt !== 'number') return undefined;
      return {
        accessToken: value.accessToken,
        expiresAt: value.expiresAt,
        ...(typeof value.refreshToken === 'string' ? { refreshToken: value.refreshToken } : {}),
        ...(typeof value.scope === 'string' ? { scope: value.scope } : {}),
      };
    } catch {
      return undefined;
    }
  }

  async save(tokens: TokenSet | undefined): Promise<void> {
    if (tokens) await this.secrets.store(tokenSecretKey(this.accountId), JSON.stringify(tokens));
    else await this.secrets.delete(tokenSecretKey(this.accountId));
  }
}

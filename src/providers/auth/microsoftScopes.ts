import type { AccountConfig } from '../../protocol/account';
import { loadEngine } from '../../loadEngine';
import { servicesOf } from './accountCredentials';

/**
 * The scopes VS Code's Microsoft authentication provider is asked for: the account's mail scopes,
 * then its own app registration and tenant as VS Code's VSCODE_CLIENT_ID: and VSCODE_TENANT:
 * pseudo-scopes (without them VS Code would sign in with its own registration, which has no mail
 * permissions).
 */
export function microsoftSessionScopes(account: AccountConfig): string[] {
  const settings = account.oauth2;
  if (!settings) return [];
  const { PRESETS, scopesFor } = loadEngine();
  const mail = scopesFor(PRESETS.microsoft, servicesOf(account)).split(' ').filter(Boolean);
  return [...mail, `VSCODE_CLIENT_ID:${settings.clientId}`, `VSCODE_TENANT:${settings.tenant ?? 'common'}`];
}

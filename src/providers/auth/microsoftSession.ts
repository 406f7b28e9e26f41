/**
 * VS Code's built-in Microsoft sign-in for a Microsoft account: the "microsoft" authentication
 * provider signs in (and keeps its own refresh token), Mailroom asks it for a session each time a
 * login needs a token and stores nothing itself. The account's own app registration still applies:
 * VS Code reads it from the VSCODE_CLIENT_ID: and VSCODE_TENANT: pseudo-scopes.
 */
import * as vscode from 'vscode';
import { accountLabel, type AccountConfig } from '../../protocol/account';
import type { CredentialSource } from '../../protocol/credentials';
import { MailError } from '../../protocol/errors';
import type { TokenSet } from '../../protocol/oauth/tokens';
import { microsoftSessionScopes } from './microsoftScopes';

export const MICROSOFT_AUTH_PROVIDER = 'microsoft';

/** Whether this account signs in through VS Code's Microsoft sign-in (provider microsoft and the setting allows it). */
export function usesVSCodeMicrosoftSignIn(account: AccountConfig): boolean {
  return account.auth === 'oauth2'
    && account.oauth2?.provider === 'microsoft'
    && vscode.workspace.getConfiguration('mailroom').get<boolean>('oauth2.useVSCodeMicrosoftSignIn', true);
}

/**
 * VS Code's sessions carry no expiry; a token is used as it comes and VS Code renews it. Half an
 * hour is what the TokenSet says, so nobody tries to refresh it themselves.
 */
const SESSION_TOKEN_LIFETIME_MS = 30 * 60_000;

/** Signs in through VS Code (may show its own prompt); undefined when the user cancelled. */
export async function signInWithVSCodeMicrosoft(account: AccountConfig): Promise<TokenSet | undefined> {
  let session: vscode.AuthenticationSession | undefined;
  try {
    session = await vscode.authentication.getSession(MICROSOFT_AUTH_PROVIDER, microsoftSessionScopes(account), { createIfNone: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/cancel/i.test(message)) return undefined;
    throw new MailError('AuthFailed', `VS Code's Microsoft sign-in did not complete: ${message}. To sign in with Mailroom's own browser sign-in instead, turn off the setting "mailroom.oauth2.useVSCodeMicrosoftSignIn".`, { cause: err });
  }
  return session ? { accessToken: session.accessToken, expiresAt: Date.now() + SESSION_TOKEN_LIFETIME_MS } : undefined;
}

/**
 * The CredentialSource of such an account: a silent getSession per login (VS Code refreshes its
 * session itself); a refused token gets one more silent getSession and one retry when VS Code has a
 * newer token, and is SignInRequired otherwise. Nothing loops, nothing is stored by Mailroom.
 */
export function vscodeMicrosoftCredentials(account: AccountConfig): CredentialSource {
  const scopes = microsoftSessionScopes(account);
  const notSignedIn = (cause?: unknown): MailError =>
    new MailError('SignInRequired', `${accountLabel(account)} is not signed in. Sign in to use this account (it signs in with VS Code's Microsoft sign-in).`, { cause, detail: cause instanceof Error ? cause.message : undefined });
  const token = async (): Promise<string> => {
    let session: vscode.AuthenticationSession | undefined;
    try {
      session = await vscode.authentication.getSession(MICROSOFT_AUTH_PROVIDER, scopes, { silent: true });
    } catch (err) {
      // No Microsoft sign-in in this VS Code (some builds have none), or it failed: the user acts the same way.
      throw notSignedIn(err);
    }
    if (!session) throw notSignedIn();
    return session.accessToken;
  };
  return {
    kind: 'token',
    async login(attempt) {
      const first = await token();
      try {
        return await attempt({ kind: 'token', accessToken: first });
      } catch (err) {
        if (!MailError.is(err, 'AuthFailed')) throw err;
        const second = await token();
        if (second === first) throw new MailError('SignInRequired', 'The mail server refused the Microsoft sign-in VS Code holds. Run "Mailroom: Sign In" for this account again.', { cause: err });
        try {
          return await attempt({ kind: 'token', accessToken: second });
        } catch (again) {
          if (!MailError.is(again, 'AuthFailed')) throw again;
          throw new MailError('SignInRequired', 'The mail server refused the Microsoft sign-in VS Code holds. Run "Mailroom: Sign In" for this account again.', { cause: again });
        }
      }
    },
  };
}

/**
 * `mailroom.signIn`: signs an OAuth2 account in, from the palette (a pick of the OAuth2 accounts)
 * or inline on an account node whose contextValue ends in `.signInRequired`. From code (tests,
 * other extensions) it takes the account id and `{ method }`, and resolves with what happened.
 */
import * as vscode from 'vscode';
import { accountLabel, usesOAuth2, type AccountConfig } from '../../protocol/account';
import type { ProtocolLog } from '../../protocol/log';
import type { AccountRepository } from '../accounts';
import { errorSummary, reportError } from '../errors';
import type { AccountNode, MailNode } from '../tree/nodes';
import { OAUTH_README_SECTION, signInToAccount } from './signIn';
import type { SignInMethod } from './signInMethod';

export interface SignInCommandDeps {
  repository: AccountRepository;
  secrets: vscode.SecretStorage;
  log: ProtocolLog;
  extensionUri: vscode.Uri;
  /** Called after tokens were stored: reconnect the account, redraw it. */
  onSignedIn(account: AccountConfig): void;
}

export interface SignInOptions {
  method?: SignInMethod;
}

export interface SignInResult {
  signedIn: boolean;
  /** Set when the sign-in failed (not when the user cancelled). */
  error?: { code: string; message: string };
}

const HOW_TO = (): string => vscode.l10n.t('How to Register an App');

export function registerSignInCommand(deps: SignInCommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('mailroom.signIn', (target?: MailNode | string, options?: SignInOptions) => signIn(deps, accountOf(target), options));
}

async function signIn(deps: SignInCommandDeps, target: AccountNode | string | undefined, options: SignInOptions | undefined): Promise<SignInResult> {
  const account = await resolveOAuthAccount(deps, target);
  if (!account) return { signedIn: false };
  if (!usesOAuth2(account)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} signs in with a password; there is nothing to sign in to. To use OAuth2, set "auth": "oauth2" and "oauth2" in its settings (see "{1}" in the README).', accountLabel(account), OAUTH_README_SECTION));
    return { signedIn: false };
  }
  const method = options?.method === 'browser' || options?.method === 'device' ? options.method : undefined;
  try {
    const tokens = await signInToAccount(account, { secrets: deps.secrets, log: deps.log, method });
    if (!tokens) return { signedIn: false };
    deps.onSignedIn(account);
    void vscode.window.showInformationMessage(vscode.l10n.t('Signed in to {0}.', accountLabel(account)));
    return { signedIn: true };
  } catch (err) {
    // The README's steps help with a registration problem (withHelp names the section), not with a refusal.
    const actions = err instanceof Error && err.message.includes(OAUTH_README_SECTION) ? [HOW_TO()] : [];
    void reportError(deps.log, vscode.l10n.t('Signing in to {0}', accountLabel(account)), err, actions).then((choice) => {
      if (choice === HOW_TO()) void openReadme(deps.extensionUri);
    });
    return { signedIn: false, error: errorSummary(err) };
  }
}

/** The account of a tree node (the account row, or the "not signed in" row under it). */
function accountOf(target: MailNode | string | undefined): AccountNode | string | undefined {
  if (typeof target === 'string' || target === undefined) return target;
  let node: MailNode | undefined = target;
  while (node && node.kind !== 'account') node = node.parent;
  return node;
}

async function resolveOAuthAccount(deps: SignInCommandDeps, target: AccountNode | string | undefined): Promise<AccountConfig | undefined> {
  if (typeof target === 'string') return deps.repository.get(target);
  if (target?.kind === 'account') return deps.repository.get(target.account.id);
  const accounts = deps.repository.list().filter(usesOAuth2);
  if (accounts.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No account signs in with OAuth2. See "{0}" in the README to set one up.', OAUTH_README_SECTION));
    return undefined;
  }
  if (accounts.length === 1) return accounts[0];
  const pick = await vscode.window.showQuickPick(
    accounts.map((a) => ({ label: accountLabel(a), description: `${a.oauth2?.provider ?? ''} · ${a.host}`, account: a })),
    { placeHolder: vscode.l10n.t('Sign in to which account?') },
  );
  return pick?.account;
}

function openReadme(extensionUri: vscode.Uri): Thenable<unknown> {
  return vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(extensionUri, 'README.md'));
}

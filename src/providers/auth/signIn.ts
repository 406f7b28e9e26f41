/**
 * Signs an account in with OAuth2 and stores its tokens: usable for a saved account (the Sign In
 * command) and for one not saved yet (Add Account). Nothing is stored until the provider has
 * issued tokens, and then in one SecretStorage write, so a failed or cancelled sign-in leaves the
 * tokens stored before as they were.
 */
import * as vscode from 'vscode';
import { accountLabel, type AccountConfig } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import type { TokenSet } from '../../protocol/oauth/tokens';
import { loadEngine } from '../../loadEngine';
import { survivesOpenExternal } from './authorizationLink';
import { signInWithDeviceCode } from './deviceSignIn';
import { signInWithVSCodeMicrosoft, usesVSCodeMicrosoftSignIn } from './microsoftSession';
import { oauthClientFor, type OAuthClientInfo } from './accountCredentials';
import { SecretTokenStore } from './secretTokenStore';
import { openSignInPage } from './signInPage';
import { chooseSignInMethod, loopbackReach, type SignInMethod } from './signInMethod';

export interface SignInUi {
  secrets: vscode.SecretStorage;
  log: ProtocolLog;
  /** Skips the choice (and VS Code's Microsoft sign-in): 'browser' or 'device'. */
  method?: SignInMethod;
}

/** The README section every registration problem points to. */
export const OAUTH_README_SECTION = 'Signing in with OAuth2';

/**
 * Signs `account` in (it need not be saved) and stores the tokens under its id. Resolves undefined
 * when the user cancelled; rejects with a MailError whose message says what to do otherwise.
 */
export async function signInToAccount(account: AccountConfig, ui: SignInUi): Promise<TokenSet | undefined> {
  const name = accountLabel(account);
  // A new sign-in replaces one still waiting for the same account (its tab closed, say).
  inFlight.get(account.id)?.abort();
  const replaced = new AbortController();
  inFlight.set(account.id, replaced);
  try {
    if (!ui.method && usesVSCodeMicrosoftSignIn(account)) {
      // VS Code keeps this sign-in (and renews it); Mailroom stores nothing of it.
      return await signInWithVSCodeMicrosoft(account);
    }
    const oauth = await oauthClientFor(account);
    const method = await chooseSignInMethod({
      deviceAvailable: oauth.client.endpoints.deviceAuthorizationEndpoint !== undefined,
      reach: await loopbackReach(),
      requested: ui.method,
    }, name);
    if (!method) return undefined;
    ui.log.info(`signing in ${name} (${method})`);
    const tokens = method === 'device'
      ? await signInWithDeviceCode({ client: oauth.client, scope: oauth.scope, accountName: name, signal: replaced.signal })
      : await browserSignIn(account, oauth, name, replaced.signal);
    if (!tokens || replaced.signal.aborted) {
      ui.log.info(`sign-in of ${name} cancelled`);
      return undefined;
    }
    await new SecretTokenStore(ui.secrets, account.id).save(tokens);
    ui.log.info(`signed in ${name}; the access token is valid until ${new Date(tokens.expiresAt).toISOString()}${tokens.refreshToken ? ', renewable' : ', not renewable'}`);
    return tokens;
  } catch (err) {
    if (replaced.signal.aborted) return undefined;
    throw withHelp(account, err);
  } finally {
    if (inFlight.get(account.id) === replaced) inFlight.delete(account.id);
  }
}

const inFlight = new Map<string, AbortController>();

/** Google issues a refresh token to an installed app only when asked for offline access with consent. */
const GOOGLE_OFFLINE = { access_type: 'offline', prompt: 'consent' };

async function browserSignIn(account: AccountConfig, oauth: OAuthClientInfo, name: string, replaced: AbortSignal): Promise<TokenSet | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Signing in to {0} in the browser', name), cancellable: true },
    async (progress, token) => {
      progress.report({ message: vscode.l10n.t('finish on the page that opened…') });
      const abort = new AbortController();
      const cancel = token.onCancellationRequested(() => abort.abort());
      const onReplaced = (): void => abort.abort();
      replaced.addEventListener('abort', onReplaced, { once: true });
      let opened = true;
      try {
        return await loadEngine().signInWithBrowser({
          client: oauth.client,
          scope: oauth.scope,
          extraParams: account.oauth2?.provider === 'google' ? GOOGLE_OFFLINE : undefined,
          loginHint: loginHintOf(account),
          signal: abort.signal,
          // Not through asExternalUri: the page is the provider's, and the redirect stays on
          // 127.0.0.1, where the browser reaches this extension host (RFC 8252 7.3).
          openUrl: async (url) => (opened = await openSignInPage(url)),
        });
      } catch (err) {
        if (abort.signal.aborted || !opened) return undefined;
        throw err;
      } finally {
        cancel.dispose();
        replaced.removeEventListener('abort', onReplaced);
      }
    },
  );
}

/** The address to pre-fill on the provider's page; left out when openExternal would change it. */
function loginHintOf(account: AccountConfig): string | undefined {
  const address = account.email ?? account.user;
  return address.includes('@') && survivesOpenExternal(address) ? address : undefined;
}

/** Registration problems get the provider's registration steps and the README pointer. */
function withHelp(account: AccountConfig, err: unknown): unknown {
  if (!MailError.is(err)) return err;
  const registration = /invalid_client|unauthorized_client|invalid_scope|redirect_uri/.test(`${err.detail ?? ''}`);
  if (!registration) return err;
  const provider = account.oauth2?.provider;
  const steps = provider && provider !== 'custom' ? ` ${loadEngine().PRESETS[provider].registrationHelp}` : '';
  return new MailError(err.code, `${err.message}${steps} ${vscode.l10n.t('See "{0}" in Mailroom\'s README.', OAUTH_README_SECTION)}`, { detail: err.detail, cause: err });
}

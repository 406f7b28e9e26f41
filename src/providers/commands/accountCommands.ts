import * as vscode from 'vscode';
import { AccountConfig, accountLabel, normalizeFingerprint, parseAccountConfig } from '../../protocol/account';
import { CredentialSource, givenPassword } from '../../protocol/credentials';
import { MailError } from '../../protocol/errors';
import { ProtocolLog, taggedLog } from '../../protocol/log';
import type { AccountRepository } from '../accounts';
import { localizedErrorMessage } from '../errorText';
import { errorSummary, reportError } from '../errors';
import type { LoginSessions } from '../sessions';
import { loadEngine } from '../../loadEngine';
import { mailroomSettings } from '../settings';
import type { AccountNode } from '../tree/nodes';
import type { MailTreeModel } from '../tree/treeModel';
import type { KnownOAuthProvider } from '../../protocol/discovery/setupPlan';
import { AccountDraft, promptForAccount } from './addAccountInput';
import { confirmCertificateTrust } from './certificatePrompt';
import { clientIdKey, setupFromAddress } from './setupFromAddress';

/**
 * Arguments for `mailroom.addAccount` when called from code (tests, other extensions) instead of
 * the palette: no prompts are shown, the result says what happened.
 */
export interface AddAccountRequest extends Omit<AccountConfig, 'id'> {
  id?: string;
  password: string;
  /** Save even when the test login fails. Default false. */
  saveOnFailure?: boolean;
}

export interface AddAccountResult {
  saved: boolean;
  accountId?: string;
  error?: { code: string; message: string; certificateSha256?: string };
}

export interface AccountCommandDeps {
  repository: AccountRepository;
  sessions: LoginSessions;
  model: MailTreeModel;
  log: ProtocolLog;
  /** Remembers the last OAuth2 client ID per provider. */
  globalState: vscode.Memento;
  extensionUri: vscode.Uri;
  /** OAuth2 sign-in in the browser for a new account (src/providers/auth); true once it signed in. */
  signIn?: (account: AccountConfig) => Promise<boolean>;
  /** Drops the tokens a sign-in stored for an account that was then not saved. */
  forgetSignIn?: (account: AccountConfig) => Promise<void>;
}

export function registerAccountCommands(deps: AccountCommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('mailroom.addAccount', (request?: AddAccountRequest) =>
      request && typeof request === 'object' && 'host' in request ? addFromRequest(deps, request) : addInteractively(deps),
    ),
    vscode.commands.registerCommand('mailroom.removeAccount', (target?: AccountNode | string) => removeAccount(deps, target)),
    vscode.commands.registerCommand('mailroom.trustCertificate', (target?: AccountNode | string, sha256?: string) => trustCertificate(deps, target, sha256)),
  );
}

async function addFromRequest(deps: AccountCommandDeps, request: AddAccountRequest): Promise<AddAccountResult> {
  let account: AccountConfig;
  try {
    const { password: _password, saveOnFailure: _save, ...shape } = request;
    account = parseAccountConfig({ ...shape, id: request.id ?? deps.repository.newId(request.user, request.host) });
  } catch (err) {
    return { saved: false, error: errorSummary(err) };
  }
  const failure = await testLogin(deps, account, givenPassword(request.password));
  if (failure && !request.saveOnFailure) {
    const offer = failure.certificate && !alreadyPinned(account, failure.certificate.sha256) ? { certificateSha256: failure.certificate.sha256 } : {};
    return { saved: false, error: { ...errorSummary(failure), ...offer } };
  }
  await deps.repository.save(account, request.password);
  return { saved: true, accountId: account.id, ...(failure ? { error: errorSummary(failure) } : {}) };
}

/** Add Account from the palette: the email address first (discovery), or the manual steps. */
async function addInteractively(deps: AccountCommandDeps): Promise<AddAccountResult> {
  const start = await setupFromAddress({ log: deps.log, globalState: deps.globalState, extensionUri: deps.extensionUri });
  if (!start) return { saved: false };
  if (start.kind === 'manual') {
    const draft = await promptForAccount({ prefill: start.prefill });
    if (!draft) return { saved: false };
    return finishWithPassword(deps, { ...draftToAccount(deps, draft), ...start.extra }, draft.password);
  }
  const account: AccountConfig = { ...start.account, id: deps.repository.newId(start.account.user, start.account.host) };
  if (start.plan.kind === 'oauth2') return finishWithOAuth2(deps, account, start.plan.provider, start.clientId ?? '');
  return finishWithPassword(deps, account, start.password ?? '');
}

/** Test login (with the certificate trust flow), then save; nothing is saved before it passes unless the user says so. */
async function finishWithPassword(deps: AccountCommandDeps, first: AccountConfig, password: string): Promise<AddAccountResult> {
  let account = first;
  for (let attempt = 0; attempt < 3; attempt++) {
    const failure = await testLogin(deps, account, givenPassword(password));
    if (!failure) break;
    // A certificate already pinned is accepted whatever its chain (pinning.ts): offering it again would only loop.
    if (failure.code === 'CertificateUntrusted' && failure.certificate && !alreadyPinned(account, failure.certificate.sha256)) {
      if (!(await confirmCertificateTrust(`${account.host}:${account.port}`, failure.certificate, failure.tlsReason))) return { saved: false };
      account = { ...account, trustedCertificateSha256: failure.certificate.sha256 };
      continue;
    }
    deps.log.error(`adding ${accountLabel(account)}: ${failure.message} ${failure.detail ?? ''}`);
    const saveAnyway = vscode.l10n.t('Save Anyway');
    const choice = await vscode.window.showErrorMessage(localizedErrorMessage(failure), { modal: true }, saveAnyway);
    if (choice !== saveAnyway) return { saved: false, error: errorSummary(failure) };
    break;
  }
  const withSmtp = await trustSmtpCertificate(deps, account);
  if (!withSmtp) return { saved: false };
  await deps.repository.save(withSmtp, password);
  void vscode.window.showInformationMessage(vscode.l10n.t('Added {0}. Its folders are in the Mail view.', accountLabel(withSmtp)));
  return { saved: true, accountId: withSmtp.id };
}

/**
 * The outgoing server discovery found goes through the same trust flow as the incoming one. The
 * certificate the user just trusted for this account's incoming server is exactly the one they
 * confirmed, so the same certificate on its SMTP server is pinned without asking twice.
 */
async function trustSmtpCertificate(deps: AccountCommandDeps, account: AccountConfig): Promise<AccountConfig | undefined> {
  const smtp = account.smtp;
  if (!smtp || smtp.security === 'none' || smtp.trustedCertificateSha256) return account;
  let peer;
  try {
    peer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Checking the certificate of {0}…', smtp.host) }, () =>
      loadEngine().fetchPeerCertificate({ protocol: 'smtp', host: smtp.host, port: smtp.port, security: smtp.security }, mailroomSettings().connectionTimeoutMs),
    );
  } catch (err) {
    // Unreachable now: sending will say why, and the account can still read mail.
    deps.log.warn(`adding ${accountLabel(account)}: could not read the certificate of ${smtp.host}:${smtp.port}: ${MailError.from(err).message}`);
    return account;
  }
  if (peer.authorized) return account;
  const sha256 = peer.certificate.sha256;
  if (sha256 !== account.trustedCertificateSha256 && !(await confirmCertificateTrust(`${smtp.host}:${smtp.port}`, peer.certificate, peer.authorizationError))) return undefined;
  return { ...account, smtp: { ...smtp, trustedCertificateSha256: sha256 } };
}

/** OAuth2: the browser sign-in is the test login; the client ID is remembered for the next account of that provider. */
async function finishWithOAuth2(deps: AccountCommandDeps, base: AccountConfig, provider: KnownOAuthProvider, clientId: string): Promise<AddAccountResult> {
  const account: AccountConfig = { ...base, auth: 'oauth2', oauth2: { provider, clientId } };
  if (!deps.signIn) {
    void vscode.window.showErrorMessage(vscode.l10n.t('{0} signs in with OAuth2, which this build of Mailroom cannot do yet. Nothing was saved.', accountLabel(account)));
    return { saved: false, error: { code: 'Unsupported', message: 'OAuth2 sign-in is not available' } };
  }
  let signedIn: boolean;
  try {
    signedIn = await deps.signIn(account);
  } catch (err) {
    const error = MailError.from(err);
    deps.log.error(`signing in to ${accountLabel(account)}: ${error.message} ${error.detail ?? ''}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('{0} Nothing was saved.', localizedErrorMessage(error)));
    return { saved: false, error: errorSummary(error) };
  }
  if (!signedIn) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Signing in to {0} did not finish, so nothing was saved.', accountLabel(account)));
    return { saved: false };
  }
  // The sign-in proves the provider knows the user; the login proves the mail server takes the token.
  const failure = await testLogin(deps, account, deps.repository.credentials(account));
  if (failure) {
    deps.log.error(`adding ${accountLabel(account)}: ${failure.message} ${failure.detail ?? ''}`);
    const saveAnyway = vscode.l10n.t('Save Anyway');
    const choice = await vscode.window.showErrorMessage(localizedErrorMessage(failure), { modal: true }, saveAnyway);
    if (choice !== saveAnyway) {
      await deps.forgetSignIn?.(account);
      return { saved: false, error: errorSummary(failure) };
    }
  }
  await deps.repository.save(account);
  await deps.globalState.update(clientIdKey(provider), clientId);
  void vscode.window.showInformationMessage(vscode.l10n.t('Added {0}. Its folders are in the Mail view.', accountLabel(account)));
  return { saved: true, accountId: account.id };
}

function draftToAccount(deps: AccountCommandDeps, draft: AccountDraft): AccountConfig {
  const account: AccountConfig = {
    id: deps.repository.newId(draft.user, draft.host),
    protocol: draft.protocol,
    host: draft.host,
    port: draft.port,
    security: draft.security,
    user: draft.user,
  };
  if (draft.allowPlaintextPassword) account.allowPlaintextPassword = true;
  return account;
}

/**
 * Logs in once with the given settings and credentials (a password typed just now, or the tokens
 * of a sign-in); returns the failure, or undefined when it worked.
 */
export async function testLogin(deps: Pick<AccountCommandDeps, 'sessions' | 'log'>, account: AccountConfig, credentials: CredentialSource): Promise<MailError | undefined> {
  const signIn = async (): Promise<void> => {
    if (account.protocol === 'pop3') {
      const log = taggedLog(deps.log, `pop3 ${accountLabel(account)}`);
      const timeoutMs = mailroomSettings().connectionTimeoutMs;
      const session = await credentials.login((secret) =>
        secret.kind === 'token'
          ? loadEngine().connectPop3({ account, password: secret.accessToken, auth: 'oauth2', log, timeoutMs })
          : loadEngine().connectPop3({ account, password: secret.password, log, timeoutMs }),
      );
      try {
        if (account.leaveOnServer !== false && session.capabilities.uidl === false) {
          throw new MailError('Unsupported', vscode.l10n.t('{0} has no UIDL, so Mailroom cannot tell which messages it already downloaded. Set "leaveOnServer": false for this account to download and delete instead.', account.host), { localized: true });
        }
      } finally {
        await session.quit().catch(() => session.close());
      }
      return;
    }
    const session = deps.sessions.create(account, credentials);
    try {
      await session.verify();
    } finally {
      await session.close();
    }
  };
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Signing in to {0}…', account.host) }, signIn);
    return undefined;
  } catch (err) {
    return MailError.is(err) ? err : new MailError('Unknown', String(err));
  }
}

async function removeAccount(deps: AccountCommandDeps, target: AccountNode | string | undefined): Promise<boolean> {
  const account = await resolveAccount(deps, target, vscode.l10n.t('Remove which account?'));
  if (!account) return false;
  if (typeof target !== 'string') {
    const removeLabel = vscode.l10n.t('Remove');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Remove {0}?', accountLabel(account)),
      { modal: true, detail: vscode.l10n.t('Its settings and stored password or sign-in are deleted from VS Code. Mail on the server is not touched.') },
      removeLabel,
    );
    if (choice !== removeLabel) return false;
  }
  await deps.repository.remove(account.id);
  return true;
}

async function trustCertificate(deps: AccountCommandDeps, target: AccountNode | string | undefined, sha256?: string): Promise<boolean> {
  const account = await resolveAccount(deps, target, vscode.l10n.t('Trust the certificate of which account?'));
  if (!account) return false;
  try {
    let fingerprint = sha256 ? normalizeFingerprint(sha256) : undefined;
    if (fingerprint && alreadyPinned(account, fingerprint)) return reportAlreadyPinned(account);
    if (!fingerprint) {
      const peer = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Reading the certificate of {0}…', account.host) },
        () => loadEngine().fetchPeerCertificate(account, 20_000),
      );
      if (peer.authorized) {
        void vscode.window.showInformationMessage(vscode.l10n.t('The certificate of {0} verifies; there is nothing to trust by hand.', account.host));
        return false;
      }
      if (alreadyPinned(account, peer.certificate.sha256)) return reportAlreadyPinned(account);
      if (!(await confirmCertificateTrust(`${account.host}:${account.port}`, peer.certificate, peer.authorizationError))) return false;
      fingerprint = peer.certificate.sha256;
    }
    await deps.repository.setTrustedCertificate(account.id, fingerprint);
    return true;
  } catch (err) {
    await reportError(deps.log, vscode.l10n.t('Trusting the certificate of {0}', account.host), err);
    return false;
  }
}

function alreadyPinned(account: AccountConfig, sha256: string): boolean {
  return account.trustedCertificateSha256 !== undefined && account.trustedCertificateSha256 === sha256;
}

/** The trust prompt never offers what is already trusted: say so instead, and change nothing. */
function reportAlreadyPinned(account: AccountConfig): false {
  void vscode.window.showInformationMessage(vscode.l10n.t('{0} presents the certificate you already trust for this account; there is nothing more to trust. If signing in still fails, the account\'s error says why.', account.host));
  return false;
}

async function resolveAccount(deps: AccountCommandDeps, target: AccountNode | string | undefined, placeHolder: string): Promise<AccountConfig | undefined> {
  if (typeof target === 'string') return deps.repository.get(target);
  if (target?.kind === 'account') return deps.repository.get(target.account.id);
  const accounts = deps.repository.list();
  const pick = await vscode.window.showQuickPick(
    accounts.map((a) => ({ label: accountLabel(a), description: `${a.protocol.toUpperCase()} · ${a.host}`, account: a })),
    { placeHolder },
  );
  return pick?.account;
}

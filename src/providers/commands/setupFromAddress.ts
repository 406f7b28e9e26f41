import * as vscode from 'vscode';
import type { AccountConfig } from '../../protocol/account';
import type { DiscoveryResult, ServerCandidate } from '../../protocol/discovery';
import type { KnownOAuthProvider, SignInPlan } from '../../protocol/discovery/setupPlan';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import { loadEngine } from '../../loadEngine';
import { AccountDraft, promptForAccount } from './addAccountInput';
import { runDiscovery } from './discoveryRun';

export interface SetupFromAddressDeps {
  log: ProtocolLog;
  /** Remembers the last OAuth2 client ID per provider. */
  globalState: vscode.Memento;
  extensionUri: vscode.Uri;
}

/** What the user chose: the found settings (to test, then save), the manual steps (maybe pre-filled), or nothing. */
export type SetupStart =
  | { kind: 'discovered'; account: Omit<AccountConfig, 'id'>; plan: SignInPlan & { kind: 'password' | 'oauth2' }; password?: string; clientId?: string }
  | { kind: 'manual'; prefill?: Partial<AccountDraft>; extra?: Pick<AccountConfig, 'email' | 'name' | 'label'> }
  | undefined;

export const clientIdKey = (provider: KnownOAuthProvider): string => `oauth2.lastClientId.${provider}`;

/**
 * Add Account from an email address: the address (empty for the manual steps), an optional display
 * name, discovery behind a progress notification, then what was found and where it came from to
 * accept, edit or leave for manual setup. Servers outside the address's domain and unencrypted ones
 * are confirmed in a modal naming them. Saves nothing: the caller tests the login and saves.
 */
export async function setupFromAddress(deps: SetupFromAddressDeps): Promise<SetupStart> {
  const address = await vscode.window.showInputBox({
    title: vscode.l10n.t('Add Mail Account: email address'),
    prompt: vscode.l10n.t('Mailroom looks up the servers for this address. Leave it empty and press Enter to enter the server settings yourself.'),
    // eslint-disable-next-line no-restricted-syntax -- an example value, the same in every language
    placeHolder: 'name@example.com',
    ignoreFocusOut: true,
    validateInput: (v) => {
      if (!v.trim()) return undefined;
      try {
        loadEngine().parseEmailAddress(v);
        return undefined;
      } catch (err) {
        return MailError.from(err).message;
      }
    },
  });
  if (address === undefined) return undefined;
  if (!address.trim()) return { kind: 'manual' };
  const { parseEmailAddress, accountFromDiscovery, signInPlan } = loadEngine();
  const parts = parseEmailAddress(address);

  const name = await vscode.window.showInputBox({ title: vscode.l10n.t('Add Mail Account: your name (optional)'), prompt: vscode.l10n.t('Shown to recipients in From. Press Enter to leave it out.'), ignoreFocusOut: true });
  if (name === undefined) return undefined;

  const run = await runDiscovery(parts.address, parts.domain, deps.log);
  const manualFromAddress: SetupStart = { kind: 'manual', prefill: { user: parts.address }, extra: { email: parts.address, label: parts.address, ...(name.trim() ? { name: name.trim() } : {}) } };
  if (run.kind === 'manual') return manualFromAddress;
  if (run.kind !== 'found') return undefined;

  const chosen = await pickFoundSettings(run.result);
  if (!chosen) return undefined;
  if (chosen === 'manual') return manualFromAddress;
  let account = accountFromDiscovery({ address: parts.address, name, incoming: chosen.incoming, outgoing: chosen.outgoing, connectTo: run.connectTo });
  const plan = signInPlan(chosen.incoming);
  if (plan.kind === 'oauth2Unknown') {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('{0} signs in with OAuth2, and Mailroom knows the sign-in servers only of Microsoft and Google. Set the account up manually with "auth": "oauth2" and provider "custom" (README, “Signing in with OAuth2”). Nothing was saved.', plan.host),
    );
    return undefined;
  }
  let password: string | undefined;
  if (chosen.edit) {
    // The manual steps, starting from what was found; the outgoing server found is kept.
    const draft = await promptForAccount({ prefill: { protocol: account.protocol, host: account.host, security: account.security, port: account.port, user: account.user }, noPassword: plan.kind === 'oauth2' });
    if (!draft) return undefined;
    const { allowPlaintextPassword: _drop, ...rest } = account;
    account = { ...rest, protocol: draft.protocol, host: draft.host, port: draft.port, security: draft.security, user: draft.user, ...(draft.allowPlaintextPassword ? { allowPlaintextPassword: true } : {}) };
    if (!(await confirmServers(parts.domain, [chosen.outgoing]))) return undefined;
    if (plan.kind === 'password') password = draft.password;
  } else if (!(await confirmServers(parts.domain, [chosen.incoming, chosen.outgoing]))) {
    return undefined;
  }

  if (plan.kind === 'oauth2') {
    const clientId = await clientIdFor(deps, plan.provider);
    return clientId ? { kind: 'discovered', account, plan, clientId } : undefined;
  }
  if (password === undefined) {
    password = await vscode.window.showInputBox({ title: vscode.l10n.t('Add Mail Account: password for {0}', parts.address), prompt: vscode.l10n.t('Stored in VS Code’s secret storage, never in settings'), password: true, ignoreFocusOut: true });
    if (password === undefined) return undefined;
  }
  return { kind: 'discovered', account, plan, password };
}

interface FoundItem extends vscode.QuickPickItem {
  action: 'accept' | 'edit' | 'manual';
  incoming?: ServerCandidate;
}

/** The found settings as a pick: accept (IMAP preferred), another incoming server instead, edit, or manual. */
async function pickFoundSettings(result: DiscoveryResult): Promise<{ incoming: ServerCandidate; outgoing?: ServerCandidate; edit: boolean } | 'manual' | undefined> {
  const { offeredCandidates, describeSource, describeEndpoint, refusedConfigs } = loadEngine();
  const offered = offeredCandidates(result.incoming);
  const preferred = offered.find((c) => c.protocol === 'imap') ?? offered[0] ?? result.best.incoming!;
  const outgoing = result.best.outgoing;
  const warnings = (c: ServerCandidate | undefined): string[] =>
    !c
      ? []
      : [
          c.flags.passwordGoesToOtherDomain ? vscode.l10n.t('$(warning) {0} is not part of {1}', c.host, result.domain) : '',
          c.flags.fetchedOverPlainHttp ? vscode.l10n.t('$(warning) read over unencrypted http') : '',
          c.flags.redirectedFrom ? vscode.l10n.t('redirected from {0}', c.flags.redirectedFrom) : '',
          c.flags.unencrypted ? vscode.l10n.t('$(warning) no encryption') : '',
        ].filter(Boolean);
  // Warnings first: the row is cut at the window's width.
  const line = (c: ServerCandidate): string => [...warnings(c), c.role === 'incoming' ? vscode.l10n.t('Incoming {0}', describeSource(c)) : vscode.l10n.t('Outgoing {0}', describeSource(c))].join(' · ');
  const items: FoundItem[] = [
    {
      label: vscode.l10n.t('$(check) Use {0}', describeEndpoint(preferred)),
      description: outgoing ? vscode.l10n.t('and {0} to send', describeEndpoint(outgoing)) : vscode.l10n.t('no outgoing server found: reading only'),
      detail: [line(preferred), ...(outgoing ? [line(outgoing)] : [])].join('  |  '),
      action: 'accept',
      incoming: preferred,
    },
    ...offered
      .filter((c) => c !== preferred)
      .map((c): FoundItem => ({ label: vscode.l10n.t('$(arrow-swap) Use {0} instead', describeEndpoint(c)), detail: line(c), action: 'accept', incoming: c })),
    { label: vscode.l10n.t('$(edit) Edit settings'), description: vscode.l10n.t('the manual steps, filled in with what was found'), action: 'edit', incoming: preferred },
    { label: vscode.l10n.t('$(tools) Set up manually'), description: vscode.l10n.t('enter every server setting yourself'), action: 'manual' },
  ];
  const refused = refusedConfigs(result);
  const pick = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Add Mail Account: settings found for {0}', result.address),
    placeHolder: refused.length ? vscode.l10n.t('Some setup files were refused: {0}', refused.join(' ')) : vscode.l10n.t('Found in {0} ms; nothing is saved before the test login.', result.totalMs),
    ignoreFocusOut: true,
    matchOnDetail: true,
  });
  if (!pick) return undefined;
  if (pick.action === 'manual') return 'manual';
  return { incoming: pick.incoming!, outgoing, edit: pick.action === 'edit' };
}

/**
 * A server outside the address's domain (the password would go to someone else's host) and an
 * unencrypted one each need a yes in a modal that names them. The certificate trust flow comes
 * later, with the test login.
 */
async function confirmServers(domain: string, candidates: Array<ServerCandidate | undefined>): Promise<boolean> {
  const { describeEndpoint, describeSource } = loadEngine();
  const list = candidates.filter((c): c is ServerCandidate => c !== undefined);
  const elsewhere = list.filter((c) => c.flags.passwordGoesToOtherDomain);
  if (elsewhere.length) {
    const hosts = [...new Set(elsewhere.map((c) => c.host))];
    const use = vscode.l10n.t('Use These Servers');
    const choice = await vscode.window.showWarningMessage(
      hosts.length > 1
        ? vscode.l10n.t('Your password would go to {0}, which are not part of {1}.', hosts.join(vscode.l10n.t(' and ')), domain)
        : vscode.l10n.t('Your password would go to {0}, which is not part of {1}.', hosts[0], domain),
      {
        modal: true,
        detail: `${elsewhere.map((c) => `${describeEndpoint(c)} ${describeSource(c)}.`).join('\n')}\n\n${vscode.l10n.t('A setup file can name any server. Continue only if {0} really has its mail handled there (its help pages say which servers to use); otherwise whoever runs {1} gets your password.', domain, hosts[0])}`,
      },
      use,
    );
    if (choice !== use) return false;
  }
  const unencrypted = list.filter((c) => c.flags.unencrypted);
  if (unencrypted.length) {
    const send = vscode.l10n.t('Send Password Unencrypted');
    const choice = await vscode.window.showWarningMessage(
      unencrypted.length > 1
        ? vscode.l10n.t('{0} do not use encryption: your password and mail would cross the network readable.', unencrypted.map(describeEndpoint).join(vscode.l10n.t(' and ')))
        : vscode.l10n.t('{0} does not use encryption: your password and mail would cross the network readable.', describeEndpoint(unencrypted[0])),
      { modal: true },
      send,
    );
    if (choice !== send) return false;
  }
  return true;
}

/** The client ID of the user's own app registration: the last one used for this provider, or asked once. */
async function clientIdFor(deps: SetupFromAddressDeps, provider: KnownOAuthProvider): Promise<string | undefined> {
  const remembered = deps.globalState.get<string>(clientIdKey(provider));
  if (remembered) return remembered;
  const box = vscode.window.createInputBox();
  const { PRESETS } = loadEngine();
  box.title = vscode.l10n.t('Add Mail Account: {0} signs in with OAuth2', PRESETS[provider].label);
  box.prompt = vscode.l10n.t('No password: you sign in in the browser through your own app registration. Enter its client ID (the ? button opens the README section “Signing in with OAuth2”). {0}', PRESETS[provider].registrationHelp);
  box.placeholder = vscode.l10n.t('Application (client) ID');
  box.ignoreFocusOut = true;
  box.buttons = [{ iconPath: new vscode.ThemeIcon('question'), tooltip: vscode.l10n.t('Signing in with OAuth2 (README)') }];
  return new Promise<string | undefined>((resolve) => {
    const done = (value: string | undefined): void => {
      resolve(value);
      box.dispose();
    };
    box.onDidTriggerButton(() => {
      const readme = vscode.Uri.joinPath(deps.extensionUri, 'README.md').with({ fragment: 'signing-in-with-oauth2' });
      void vscode.commands.executeCommand('markdown.showPreview', readme);
    });
    box.onDidChangeValue((v) => (box.validationMessage = /^[\w.-]{1,200}$/.test(v.trim()) || !v.trim() ? undefined : vscode.l10n.t('A client ID is letters, digits, dots and dashes.')));
    box.onDidAccept(() => {
      const v = box.value.trim();
      if (/^[\w.-]{1,200}$/.test(v)) done(v);
      else box.validationMessage = vscode.l10n.t('Enter the client ID of your app registration.');
    });
    box.onDidHide(() => done(undefined));
    box.show();
  });
}

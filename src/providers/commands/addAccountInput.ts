import * as vscode from 'vscode';
import { ConnectionSecurity, DEFAULT_PORTS, MailProtocol } from '../../protocol/account';

export interface AccountDraft {
  protocol: MailProtocol;
  host: string;
  security: ConnectionSecurity;
  port: number;
  user: string;
  password: string;
  allowPlaintextPassword: boolean;
}

export interface PromptOptions {
  /** Values found by discovery: each step starts with them ("Edit settings"). */
  prefill?: Partial<AccountDraft>;
  /** OAuth2 accounts: no password step (the sign-in happens in the browser). */
  noPassword?: boolean;
}

/** The item whose value is `value` first, so Enter keeps what was found. */
function preferred<T extends { value: string }>(items: T[], value: string | undefined): T[] {
  return value === undefined ? items : [...items.filter((i) => i.value === value), ...items.filter((i) => i.value !== value)];
}

/**
 * The Add Account quick input, one step at a time. Returns undefined when the user cancels at
 * any step (Escape), having saved nothing.
 */
export async function promptForAccount(options: PromptOptions = {}): Promise<AccountDraft | undefined> {
  const prefill = options.prefill ?? {};
  const steps = options.noPassword ? 5 : 6;
  const protocol = await vscode.window.showQuickPick(
    preferred(
      [
        { label: 'IMAP', description: vscode.l10n.t('Folders and flags stay on the server'), value: 'imap' as const },
        { label: 'POP3', description: vscode.l10n.t('Downloads the inbox'), value: 'pop3' as const },
      ],
      prefill.protocol,
    ),
    { title: vscode.l10n.t('Add Mail Account ({0}/{1}): protocol', 1, steps), placeHolder: vscode.l10n.t('Which protocol does the server speak?'), ignoreFocusOut: true },
  );
  if (!protocol) return undefined;

  const host = await vscode.window.showInputBox({
    title: vscode.l10n.t('Add Mail Account ({0}/{1}): server', 2, steps),
    value: prefill.host ?? '',
    prompt: vscode.l10n.t('Host name of the mail server'),
    // eslint-disable-next-line no-restricted-syntax -- an example value, the same in every language
    placeHolder: 'imap.example.com',
    ignoreFocusOut: true,
    validateInput: (v) => (/^[A-Za-z0-9.:[\]-]+$/.test(v.trim()) ? undefined : vscode.l10n.t('Enter a host name or IP address, without a scheme or port.')),
  });
  if (!host) return undefined;

  const defaults = DEFAULT_PORTS[protocol.value];
  const security = await vscode.window.showQuickPick(
    preferred([
      { label: 'TLS', description: vscode.l10n.t('Encrypted from the start (port {0})', defaults.tls), value: 'tls' as const },
      { label: 'STARTTLS', description: vscode.l10n.t('Upgraded to encryption before login (port {0})', defaults.starttls), value: 'starttls' as const },
      { label: vscode.l10n.t('None'), description: vscode.l10n.t('Unencrypted: only for local test servers'), value: 'none' as const },
    ], prefill.security),
    { title: vscode.l10n.t('Add Mail Account ({0}/{1}): security', 3, steps), ignoreFocusOut: true },
  );
  if (!security) return undefined;
  let allowPlaintextPassword = false;
  if (security.value === 'none') {
    const send = vscode.l10n.t('Send Password Unencrypted');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Without TLS, your password and mail cross the network unencrypted. Only do this for a server on your own machine or a trusted test network.'),
      { modal: true },
      send,
    );
    if (choice !== send) return undefined;
    allowPlaintextPassword = true;
  }

  const portText = await vscode.window.showInputBox({
    title: vscode.l10n.t('Add Mail Account ({0}/{1}): port', 4, steps),
    value: String(prefill.port !== undefined && prefill.security === security.value && prefill.protocol === protocol.value ? prefill.port : defaults[security.value]),
    ignoreFocusOut: true,
    validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 65535 ? undefined : vscode.l10n.t('Enter a port from 1 to 65535.')),
  });
  if (!portText) return undefined;

  const user = await vscode.window.showInputBox({ title: vscode.l10n.t('Add Mail Account ({0}/{1}): user name', 5, steps), value: prefill.user ?? '', prompt: vscode.l10n.t('User name, often the full email address'), ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a user name.')) });
  if (!user) return undefined;

  let password = '';
  if (!options.noPassword) {
    const typed = await vscode.window.showInputBox({ title: vscode.l10n.t('Add Mail Account ({0}/{1}): password', 6, 6), prompt: vscode.l10n.t('Stored in VS Code’s secret storage, never in settings'), password: true, ignoreFocusOut: true });
    if (typed === undefined) return undefined;
    password = typed;
  }

  return { protocol: protocol.value, host: host.trim(), security: security.value, port: Number(portText), user: user.trim(), password, allowPlaintextPassword };
}

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
  const title = 'Add Mail Account';
  const prefill = options.prefill ?? {};
  const steps = options.noPassword ? 5 : 6;
  const protocol = await vscode.window.showQuickPick(
    preferred(
      [
        { label: 'IMAP', description: 'Folders and flags stay on the server', value: 'imap' as const },
        { label: 'POP3', description: 'Downloads the inbox', value: 'pop3' as const },
      ],
      prefill.protocol,
    ),
    { title: `${title} (1/${steps}): protocol`, placeHolder: 'Which protocol does the server speak?', ignoreFocusOut: true },
  );
  if (!protocol) return undefined;

  const host = await vscode.window.showInputBox({
    title: `${title} (2/${steps}): server`,
    value: prefill.host ?? '',
    prompt: 'Host name of the mail server',
    placeHolder: 'imap.example.com',
    ignoreFocusOut: true,
    validateInput: (v) => (/^[A-Za-z0-9.:[\]-]+$/.test(v.trim()) ? undefined : 'Enter a host name or IP address, without a scheme or port.'),
  });
  if (!host) return undefined;

  const defaults = DEFAULT_PORTS[protocol.value];
  const security = await vscode.window.showQuickPick(
    preferred([
      { label: 'TLS', description: `Encrypted from the start (port ${defaults.tls})`, value: 'tls' as const },
      { label: 'STARTTLS', description: `Upgraded to encryption before login (port ${defaults.starttls})`, value: 'starttls' as const },
      { label: 'None', description: 'Unencrypted: only for local test servers', value: 'none' as const },
    ], prefill.security),
    { title: `${title} (3/${steps}): security`, ignoreFocusOut: true },
  );
  if (!security) return undefined;
  let allowPlaintextPassword = false;
  if (security.value === 'none') {
    const choice = await vscode.window.showWarningMessage(
      'Without TLS, your password and mail cross the network unencrypted. Only do this for a server on your own machine or a trusted test network.',
      { modal: true },
      'Send Password Unencrypted',
    );
    if (choice !== 'Send Password Unencrypted') return undefined;
    allowPlaintextPassword = true;
  }

  const portText = await vscode.window.showInputBox({
    title: `${title} (4/${steps}): port`,
    value: String(prefill.port !== undefined && prefill.security === security.value && prefill.protocol === protocol.value ? prefill.port : defaults[security.value]),
    ignoreFocusOut: true,
    validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 65535 ? undefined : 'Enter a port from 1 to 65535.'),
  });
  if (!portText) return undefined;

  const user = await vscode.window.showInputBox({ title: `${title} (5/${steps}): user name`, value: prefill.user ?? '', prompt: 'User name, often the full email address', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'Enter a user name.') });
  if (!user) return undefined;

  let password = '';
  if (!options.noPassword) {
    const typed = await vscode.window.showInputBox({ title: `${title} (6/6): password`, prompt: 'Stored in VS Code’s secret storage, never in settings', password: true, ignoreFocusOut: true });
    if (typed === undefined) return undefined;
    password = typed;
  }

  return { protocol: protocol.value, host: host.trim(), security: security.value, port: Number(portText), user: user.trim(), password, allowPlaintextPassword };
}

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

/**
 * The Add Account quick input, one step at a time. Returns undefined when the user cancels at
 * any step (Escape), having saved nothing.
 */
export async function promptForAccount(): Promise<AccountDraft | undefined> {
  const title = 'Add Mail Account';
  const protocol = await vscode.window.showQuickPick(
    [
      { label: 'IMAP', description: 'Folders and flags stay on the server', value: 'imap' as const },
      { label: 'POP3', description: 'Downloads the inbox', value: 'pop3' as const },
    ],
    { title: `${title} (1/6): protocol`, placeHolder: 'Which protocol does the server speak?', ignoreFocusOut: true },
  );
  if (!protocol) return undefined;

  const host = await vscode.window.showInputBox({
    title: `${title} (2/6): server`,
    prompt: 'Host name of the mail server',
    placeHolder: 'imap.example.com',
    ignoreFocusOut: true,
    validateInput: (v) => (/^[A-Za-z0-9.:[\]-]+$/.test(v.trim()) ? undefined : 'Enter a host name or IP address, without a scheme or port.'),
  });
  if (!host) return undefined;

  const defaults = DEFAULT_PORTS[protocol.value];
  const security = await vscode.window.showQuickPick(
    [
      { label: 'TLS', description: `Encrypted from the start (port ${defaults.tls})`, value: 'tls' as const },
      { label: 'STARTTLS', description: `Upgraded to encryption before login (port ${defaults.starttls})`, value: 'starttls' as const },
      { label: 'None', description: 'Unencrypted: only for local test servers', value: 'none' as const },
    ],
    { title: `${title} (3/6): security`, ignoreFocusOut: true },
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
    title: `${title} (4/6): port`,
    value: String(defaults[security.value]),
    ignoreFocusOut: true,
    validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 65535 ? undefined : 'Enter a port from 1 to 65535.'),
  });
  if (!portText) return undefined;

  const user = await vscode.window.showInputBox({ title: `${title} (5/6): user name`, prompt: 'User name, often the full email address', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'Enter a user name.') });
  if (!user) return undefined;

  const password = await vscode.window.showInputBox({ title: `${title} (6/6): password`, prompt: 'Stored in VS Code’s secret storage, never in settings', password: true, ignoreFocusOut: true });
  if (password === undefined) return undefined;

  return { protocol: protocol.value, host: host.trim(), security: security.value, port: Number(portText), user: user.trim(), password, allowPlaintextPassword };
}

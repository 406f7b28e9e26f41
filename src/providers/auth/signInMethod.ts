/**
 * Which way an account signs in: in a browser with a loopback redirect (RFC 8252) where the
 * browser can reach 127.0.0.1 of the extension host, or with a code typed on another device
 * (RFC 8628) where it cannot. When both work the user picks.
 */
import * as vscode from 'vscode';

export type SignInMethod = 'browser' | 'device';

/**
 * Whether a redirect to http://127.0.0.1:PORT reaches this extension host:
 * - 'yes': no remote (the browser runs where the extension host runs), or a web UI served from a
 *   loopback address (code-server or VS Code's server in a browser on the same machine);
 * - 'maybe': a desktop window on a remote (VS Code forwards the redirect's port when it can);
 * - 'no': a web UI reached over the network: the browser's 127.0.0.1 is another machine.
 */
export type LoopbackReach = 'yes' | 'maybe' | 'no';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export async function loopbackReach(): Promise<LoopbackReach> {
  if (!vscode.env.remoteName) return 'yes';
  if (vscode.env.uiKind !== vscode.UIKind.Web) return 'maybe';
  // Only where the workbench itself was loaded from: asExternalUri maps a loopback address to the
  // address the browser uses for it, which is the workbench's host in a web UI. Nothing listens on
  // the port asked about and nothing is opened.
  try {
    const external = await vscode.env.asExternalUri(vscode.Uri.parse('http://127.0.0.1:9/'));
    return LOOPBACK_HOSTS.has(external.authority.replace(/:\d+$/, '')) ? 'yes' : 'no';
  } catch {
    return 'no';
  }
}

export interface MethodChoice {
  /** The provider offers the device flow (its metadata names a device authorization endpoint). */
  deviceAvailable: boolean;
  reach: LoopbackReach;
  /** A method asked for by the caller (a test, Add Account); skips the pick. */
  requested?: SignInMethod;
}

/** The method to use, asking the user when both apply; undefined when the user dismissed the pick. */
export async function chooseSignInMethod(choice: MethodChoice, accountName: string): Promise<SignInMethod | undefined> {
  if (choice.requested) return choice.requested;
  if (!choice.deviceAvailable) return 'browser';
  if (choice.reach === 'no') return 'device';
  const browser = {
    label: vscode.l10n.t('$(globe) Sign in with the browser'),
    detail: choice.reach === 'yes'
      ? vscode.l10n.t('Opens the sign-in page; the browser comes back to VS Code by itself.')
      : vscode.l10n.t('Opens the sign-in page on this computer; works when VS Code can forward the answer to the remote.'),
    method: 'browser' as const,
  };
  const device = {
    label: vscode.l10n.t('$(device-mobile) Sign in with a code'),
    detail: vscode.l10n.t('Shows a short code to enter on the provider\'s page, in any browser on any device.'),
    method: 'device' as const,
  };
  const items = choice.reach === 'yes' ? [browser, device] : [device, browser];
  const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Sign in to {0}', accountName), placeHolder: vscode.l10n.t('How do you want to sign in?'), ignoreFocusOut: true });
  return pick?.method;
}

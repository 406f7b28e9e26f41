// The `mailroom.remoteContent.allowedSenders` setting as the message view and the conversation
// panel read and extend it (the matching itself is pure: remoteContent.ts).
import * as vscode from 'vscode';
import { MailError } from '../../protocol/errors';
import { senderAllowed, withAllowedSender } from './remoteContent';

/** The setting holding addresses / `@domains` whose messages open with remote content loaded. */
export const ALLOWED_SENDERS_SETTING = 'remoteContent.allowedSenders';

export function allowedSenders(): unknown[] {
  const value = vscode.workspace.getConfiguration('mailroom').get<unknown>(ALLOWED_SENDERS_SETTING, []);
  return Array.isArray(value) ? value : [];
}

/** Whether messages from `address` open with remote content loaded (the setting as it is now). */
export function isAllowedSender(address: string): boolean {
  return senderAllowed(address, allowedSenders());
}

/**
 * Fires when the allowed senders change: "Always Load from" here or in another window, or an edit
 * of settings.json. Open views then load what the setting now allows.
 */
export function onDidChangeAllowedSenders(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(`mailroom.${ALLOWED_SENDERS_SETTING}`)) listener();
  });
}

/** "Always Load from <sender>": adds the address to the setting (once); returns the setting's new value. */
export async function rememberAllowedSender(address: string): Promise<string[]> {
  if (!address) throw new MailError('InvalidAddress', vscode.l10n.t('This message has no sender address to remember.'), { localized: true });
  const next = withAllowedSender(allowedSenders(), address);
  await vscode.workspace.getConfiguration('mailroom').update(ALLOWED_SENDERS_SETTING, next, vscode.ConfigurationTarget.Global);
  return next;
}

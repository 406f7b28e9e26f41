import * as vscode from 'vscode';
import { AccountConfig, accountAddress, accountLabel } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import type { AccountRepository } from '../accounts';
import type { MailNode, MessageNode } from '../tree/nodes';

/** What compose needs of the message panels: the message in the active panel, if any. */
export interface ActiveMessageLookup {
  activePanel(): { readonly node: MessageNode } | undefined;
}

/**
 * The message a reply/forward acts on: the command's argument (tree context menu, panel title
 * bar), else the active message panel, else the tree's single selected message.
 */
export function targetMessage(arg: unknown, panels: ActiveMessageLookup, treeView: vscode.TreeView<MailNode>): MessageNode | undefined {
  if (isMessageNode(arg)) return arg;
  const fromPanel = panels.activePanel()?.node;
  if (fromPanel) return fromPanel;
  const selected = treeView.selection.filter(isMessageNode);
  return selected.length === 1 ? selected[0] : undefined;
}

function isMessageNode(value: unknown): value is MessageNode {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'message' && typeof (value as { account?: unknown }).account === 'object';
}

/**
 * The account new mail is sent from: the one asked for, else the tree's selected account, else
 * the only account that can send, else the user's pick. Undefined when the user cancels.
 */
export async function accountForNewMessage(repository: AccountRepository, treeView: vscode.TreeView<MailNode>, accountId?: string): Promise<AccountConfig | undefined> {
  const accounts = repository.list();
  if (accountId) {
    const asked = accounts.find((a) => a.id === accountId);
    if (!asked) throw new MailError('InvalidAccount', vscode.l10n.t('There is no account "{0}".', accountId), { localized: true });
    return asked;
  }
  const selected = treeView.selection[0];
  if (selected) {
    let node: MailNode | undefined = selected;
    while (node && node.kind !== 'account') node = node.parent;
    const account = node?.account ?? ('account' in selected ? selected.account : undefined);
    if (account) return account;
  }
  const senders = accounts.filter((a) => a.smtp);
  if (senders.length === 1) return senders[0];
  if (accounts.length === 0) throw new MailError('SmtpNotConfigured', vscode.l10n.t('Add a mail account with an outgoing (SMTP) server first.'), { localized: true });
  const choices = senders.length ? senders : accounts;
  if (choices.length === 1) return choices[0];
  const pick = await vscode.window.showQuickPick(
    choices.map((a) => ({ label: accountLabel(a), description: accountAddress(a) ?? a.user, account: a })),
    { title: vscode.l10n.t('Send from which account?'), placeHolder: vscode.l10n.t('Account') },
  );
  return pick?.account;
}

import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import { reportError } from '../errors';
import type { MessagePanelManager } from '../messagePanel';
import type { AccountNode, FolderNode, LoadMoreNode, MailNode, MessageNode } from '../tree/nodes';
import type { MailTreeModel } from '../tree/treeModel';

export interface MailCommandDeps {
  model: MailTreeModel;
  panels: MessagePanelManager;
  log: ProtocolLog;
  logChannel: vscode.LogOutputChannel;
}

export function registerMailCommands(deps: MailCommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('mailroom.openMessage', (node?: MessageNode) => {
      if (node?.kind !== 'message') return undefined;
      return deps.panels.open(node).key;
    }),
    vscode.commands.registerCommand('mailroom.loadMore', async (node?: LoadMoreNode) => {
      if (node?.kind !== 'loadMore') return;
      try {
        await vscode.window.withProgress({ location: { viewId: 'mailroom.mailboxes' }, title: vscode.l10n.t('Loading older messages') }, () => deps.model.loadMore(node.parent));
      } catch (err) {
        await reportError(deps.log, vscode.l10n.t('Loading more messages'), err);
      }
    }),
    vscode.commands.registerCommand('mailroom.refresh', (node?: MailNode) => {
      deps.model.refresh(refreshTarget(node));
    }),
    vscode.commands.registerCommand('mailroom.showLog', () => deps.logChannel.show(true)),
  );
}

function refreshTarget(node: MailNode | undefined): AccountNode | FolderNode | undefined {
  if (!node || node.kind === 'account' || node.kind === 'folder') return node;
  if (node.kind === 'pop3Inbox') return node.parent;
  const parent = node.parent;
  if (!parent) return undefined;
  if (parent.kind === 'folder' || parent.kind === 'account') return parent;
  if (parent.kind === 'thread') return parent.parent;
  return parent.kind === 'pop3Inbox' ? parent.parent : undefined;
}

import * as vscode from 'vscode';
import { accountLabel } from '../../protocol/account';
import type { SpecialUse } from '../../protocol/imap/folders';
import type { MessageSummary } from '../../protocol/imap/messages';
import { Disposable } from '../../util/dispose';
import { ContextValue, FolderNode, MailNode, MessageNode, StatusNode } from './nodes';
import type { MailTreeModel } from './treeModel';

const SPECIAL_USE_ICONS: Record<SpecialUse, string> = {
  '\\Inbox': 'inbox',
  '\\Sent': 'send',
  '\\Drafts': 'edit',
  '\\Trash': 'trash',
  '\\Junk': 'report',
  '\\Archive': 'archive',
  '\\All': 'layers',
  '\\Flagged': 'star-full',
};

/** Maps model nodes to TreeItems; all fetching and caching stays in MailTreeModel. */
export class MailTreeProvider extends Disposable implements vscode.TreeDataProvider<MailNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<MailNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;

  constructor(private readonly model: MailTreeModel) {
    super();
    this._register(model.onDidChangeData((node) => this._onDidChangeTreeData.fire(node)));
  }

  getChildren(element?: MailNode): Promise<MailNode[]> {
    return this.model.getChildren(element);
  }

  getParent(element: MailNode): MailNode | undefined {
    return element.parent;
  }

  getTreeItem(node: MailNode): vscode.TreeItem {
    switch (node.kind) {
      case 'account':
        return item(node.id, accountLabel(node.account), vscode.TreeItemCollapsibleState.Collapsed, {
          description: `${node.account.protocol.toUpperCase()} · ${node.account.host}`,
          tooltip: `${node.account.user} on ${node.account.host}:${node.account.port} (${node.account.security})`,
          iconPath: new vscode.ThemeIcon('account'),
          contextValue: node.account.protocol === 'imap' ? ContextValue.ImapAccount : ContextValue.Pop3Account,
        });
      case 'folder':
        return folderItem(node);
      case 'message':
        return messageItem(node);
      case 'loadMore':
        return item(node.id, 'Load more…', vscode.TreeItemCollapsibleState.None, {
          description: `${node.remaining} older`,
          iconPath: new vscode.ThemeIcon('fold-down'),
          contextValue: ContextValue.LoadMore,
          command: { command: 'mailroom.loadMore', title: 'Load More Messages', arguments: [node] },
        });
      case 'status':
        return statusItem(node);
    }
  }
}

function folderItem(node: FolderNode): vscode.TreeItem {
  const { folder } = node;
  const unseen = folder.unseen ?? 0;
  const counts = folder.total === undefined ? '' : `${unseen} unread of ${folder.total}`;
  return item(node.id, folder.name, vscode.TreeItemCollapsibleState.Collapsed, {
    description: unseen > 0 ? String(unseen) : '',
    tooltip: [folder.path, counts].filter(Boolean).join('\n'),
    iconPath: new vscode.ThemeIcon(folder.specialUse ? SPECIAL_USE_ICONS[folder.specialUse] : 'folder'),
    contextValue: folder.selectable ? ContextValue.Folder : ContextValue.FolderContainer,
  });
}

function messageItem(node: MessageNode): vscode.TreeItem {
  const m = node.summary;
  const from = m.from ? m.from.name || m.from.address : '(unknown sender)';
  const tooltip = new vscode.MarkdownString(undefined, false);
  tooltip.appendText(`${m.subject || '(no subject)'}\n\nFrom: ${formatAddress(m)}\nDate: ${m.date ? new Date(m.date).toLocaleString() : 'unknown'}\n${m.seen ? 'Read' : 'Unread'}`);
  return item(node.id, m.subject || '(no subject)', vscode.TreeItemCollapsibleState.None, {
    description: `${from} · ${formatDate(m.date)}`,
    tooltip,
    iconPath: m.seen ? new vscode.ThemeIcon('mail-read') : new vscode.ThemeIcon('mail', new vscode.ThemeColor('charts.blue')),
    contextValue: m.seen ? ContextValue.MessageRead : ContextValue.MessageUnread,
    command: { command: 'mailroom.openMessage', title: 'Open Message', arguments: [node] },
    accessibilityInformation: { label: `${m.seen ? '' : 'Unread, '}${m.subject || 'no subject'}, from ${from}, ${formatDate(m.date)}` },
  });
}

function statusItem(node: StatusNode): vscode.TreeItem {
  const isCertificate = node.error?.code === 'CertificateUntrusted';
  return item(node.id, node.message, vscode.TreeItemCollapsibleState.None, {
    tooltip: node.error?.detail ? `${node.message}\n\n${node.error.detail}` : node.message,
    iconPath: new vscode.ThemeIcon(node.severity === 'error' ? 'error' : 'info', node.severity === 'error' ? new vscode.ThemeColor('errorForeground') : undefined),
    contextValue: ContextValue.Status,
    ...(isCertificate ? { command: { command: 'mailroom.trustCertificate', title: 'Trust Server Certificate…', arguments: [node.parent.account.id] } } : {}),
  });
}

function item(id: string, label: string, state: vscode.TreeItemCollapsibleState, props: Partial<vscode.TreeItem>): vscode.TreeItem {
  const treeItem = new vscode.TreeItem(label, state);
  treeItem.id = id;
  return Object.assign(treeItem, props);
}

function formatAddress(m: MessageSummary): string {
  if (!m.from) return 'unknown';
  return m.from.name ? `${m.from.name} <${m.from.address}>` : m.from.address;
}

function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  const now = new Date();
  if (date.toDateString() === now.toDateString()) return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString(undefined, sameYear ? { month: 'short', day: 'numeric' } : { year: 'numeric', month: 'short', day: 'numeric' });
}

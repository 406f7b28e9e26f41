import * as vscode from 'vscode';
import { accountLabel, usesOAuth2, type AccountConfig } from '../../protocol/account';
import type { SpecialUse } from '../../protocol/imap/folders';
import { displayText } from '../../shared/displayText';
import type { NamespaceKind } from '../../protocol/imap/namespaces';
import { Disposable } from '../../util/dispose';
import { AccountNode, ContextValue, FolderNode, MailNode, MessageItem, MessageNode, OutboxEntryNode, OutboxRootNode, SearchNode, StatusNode, ThreadNode } from './nodes';
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

/** How a node standing for another namespace (RFC 2342) is told apart from a folder. */
const NAMESPACE_LABELS = (): Record<NamespaceKind, { text: string; icon: string }> => ({
  personal: { text: vscode.l10n.t('your other folders'), icon: 'folder-library' },
  other: { text: vscode.l10n.t("other users' folders"), icon: 'person' },
  shared: { text: vscode.l10n.t('shared folders'), icon: 'organization' },
});

/**
 * Maps model nodes to TreeItems; all fetching and caching stays in MailTreeModel. Text from mail and
 * servers (subjects, names, addresses, folder names) goes through displayText: a bidi override in it
 * is shown as `[U+202E]`, not obeyed.
 */
export class MailTreeProvider extends Disposable implements vscode.TreeDataProvider<MailNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<MailNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;

  constructor(private readonly model: MailTreeModel, private readonly signIn?: AccountSignIn) {
    super();
    this._register(model.onDidChangeData((node) => this._onDidChangeTreeData.fire(node)));
    if (signIn) this._register(signIn.onDidChange(() => this._onDidChangeTreeData.fire(undefined)));
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
        return accountItem(node, this.model.needsSignIn(node.account.id) || (this.signIn?.needsSignIn(node.account) ?? false));
      case 'folder':
        return folderItem(node, this.model.counts(node));
      case 'message':
        return messageItem(node);
      case 'search':
        return searchItem(node);
      case 'thread':
        return threadItem(node);
      case 'pop3Inbox':
        return item(node.id, vscode.l10n.t('Inbox'), vscode.TreeItemCollapsibleState.Collapsed, {
          iconPath: new vscode.ThemeIcon('inbox'),
          contextValue: ContextValue.Pop3Inbox,
        });
      case 'unified':
        return item(node.id, vscode.l10n.t('Unified Inbox'), vscode.TreeItemCollapsibleState.Collapsed, {
          iconPath: new vscode.ThemeIcon('inbox'),
          contextValue: ContextValue.UnifiedInbox,
        });
      case 'loadMore':
        return item(node.id, vscode.l10n.t('Load more…'), vscode.TreeItemCollapsibleState.None, {
          description: vscode.l10n.t('{0} older', node.remaining),
          iconPath: new vscode.ThemeIcon('fold-down'),
          contextValue: ContextValue.LoadMore,
          command: { command: 'mailroom.loadMore', title: vscode.l10n.t('Load More Messages'), arguments: [node] },
        });
      case 'status':
        return statusItem(node);
      case 'outbox':
        return outboxItem(node);
      case 'outboxEntry':
        return outboxEntryItem(node);
    }
  }
}

/** What the tree needs to know of OAuth2 sign-ins (SignInStates). */
export interface AccountSignIn {
  needsSignIn(account: AccountConfig): boolean;
  readonly onDidChange: vscode.Event<void>;
}

function outboxItem(node: OutboxRootNode): vscode.TreeItem {
  const failed = node.entries.filter((e) => e.state === 'failed' || e.state === 'partial').length;
  const waiting = node.entries.length - failed;
  return item(node.id, vscode.l10n.t('Outbox'), vscode.TreeItemCollapsibleState.Expanded, {
    description: [waiting ? vscode.l10n.t('{0} waiting', waiting) : '', failed ? vscode.l10n.t('{0} not sent', failed) : ''].filter(Boolean).join(' · '),
    tooltip: failed ? vscode.l10n.t('{0} message(s) could not be sent: right-click to retry, edit or delete.', failed) : vscode.l10n.t('Messages being sent'),
    iconPath: new vscode.ThemeIcon(failed ? 'error' : 'send', failed ? new vscode.ThemeColor('errorForeground') : undefined),
    contextValue: ContextValue.OutboxRoot,
  });
}

const OUTBOX_STATE = (): Record<OutboxEntryNode['entry']['state'], { icon: string; color?: string; text: string }> => ({
  queued: { icon: 'send', text: vscode.l10n.t('Waiting to be sent') },
  sending: { icon: 'sync~spin', text: vscode.l10n.t('Sending…') },
  failed: { icon: 'error', color: 'errorForeground', text: vscode.l10n.t('Not sent') },
  partial: { icon: 'warning', color: 'list.warningForeground', text: vscode.l10n.t('Some recipients refused') },
  sent: { icon: 'pass', text: vscode.l10n.t('Sent; finishing (Sent copy, flags)') },
});

function outboxEntryItem(node: OutboxEntryNode): vscode.TreeItem {
  const e = node.entry;
  const state = OUTBOX_STATE()[e.state];
  const subject = displayText(e.subject);
  const to = displayText(e.recipients.join(', '));
  const reason = e.lastError ? `${e.lastError.message}${e.lastError.response && !e.lastError.message.includes(e.lastError.response) ? `\n\n${vscode.l10n.t('Server reply: {0}', e.lastError.response)}` : ''}` : '';
  const tooltip = `${subject || vscode.l10n.t('(no subject)')}\n\n${vscode.l10n.t('To: {0}', to || vscode.l10n.t('(nobody)'))}\n${state.text}${reason ? `\n\n${reason}` : ''}`;
  return item(node.id, subject || vscode.l10n.t('(no subject)'), vscode.TreeItemCollapsibleState.None, {
    description: e.lastError && (e.state === 'failed' || e.state === 'partial') ? `${state.text}: ${e.lastError.message}` : `${state.text} · ${to}`,
    tooltip,
    iconPath: new vscode.ThemeIcon(state.icon, state.color ? new vscode.ThemeColor(state.color) : undefined),
    contextValue: `${ContextValue.OutboxEntry}.${e.state}`,
    accessibilityInformation: { label: vscode.l10n.t('{0}, to {1}, {2}', subject || vscode.l10n.t('no subject'), to, `${state.text}${e.lastError ? `: ${e.lastError.message}` : ''}`) },
  });
}

function folderItem(node: FolderNode, counts: { unseen?: number; total?: number }): vscode.TreeItem {
  const { folder } = node;
  const unseen = counts.unseen ?? 0;
  const summary = counts.total === undefined ? '' : vscode.l10n.t('{0} unread of {1}', unseen, counts.total);
  const subscribed = folder.subscribed !== false;
  const isInbox = folder.specialUse === '\\Inbox';
  const namespace = folder.namespace ? NAMESPACE_LABELS()[folder.namespace] : undefined;
  return item(node.id, displayText(folder.name), vscode.TreeItemCollapsibleState.Collapsed, {
    description: [namespace?.text ?? '', unseen > 0 ? String(unseen) : '', subscribed ? '' : vscode.l10n.t('(unsubscribed)')].filter(Boolean).join(' '),
    tooltip: [displayText(folder.path), namespace?.text ?? '', summary, subscribed ? '' : vscode.l10n.t('Not subscribed')].filter(Boolean).join('\n'),
    iconPath: new vscode.ThemeIcon(
      namespace?.icon ?? (folder.specialUse ? SPECIAL_USE_ICONS[folder.specialUse] : 'folder'),
      subscribed ? undefined : new vscode.ThemeColor('disabledForeground'),
    ),
    contextValue: folder.selectable
      ? `${ContextValue.Folder}.${isInbox ? 'inbox' : 'other'}.${subscribed ? 'subscribed' : 'unsubscribed'}`
      : ContextValue.FolderContainer,
  });
}

function searchItem(node: SearchNode): vscode.TreeItem {
  return item(node.id, vscode.l10n.t('Search: {0}', node.label), vscode.TreeItemCollapsibleState.Expanded, {
    description: vscode.l10n.t('{0} found', `${node.items.length}${node.capped ? '+' : ''}`),
    tooltip: `${node.label}\n${node.paths.length === 1 ? vscode.l10n.t('in {0}', node.paths[0]) : vscode.l10n.t('in {0} folders', node.paths.length)}`,
    iconPath: new vscode.ThemeIcon('search'),
    contextValue: ContextValue.Search,
  });
}

export function threadContextValue(node: ThreadNode): string {
  return `${ContextValue.Thread}.${node.unread ? 'unread' : 'read'}.${node.flagged ? 'flagged' : 'unflagged'}`;
}

function threadItem(node: ThreadNode): vscode.TreeItem {
  const subject = displayText(node.subject) || vscode.l10n.t('(no subject)');
  const people = [...new Set(node.items.map((m) => displayText(m.from ? m.from.name || m.from.address : '')).filter(Boolean))];
  const count = node.items.length;
  const latest = formatDate(node.latest);
  const tooltip = new vscode.MarkdownString(undefined, false);
  tooltip.appendText(`${subject}

${threadCounts(count, node.unread)}
${people.join(', ')}
${vscode.l10n.t('Latest: {0}', node.latest ? new Date(node.latest).toLocaleString(vscode.env.language) : vscode.l10n.t('unknown'))}`);
  return item(node.id, subject, vscode.TreeItemCollapsibleState.Collapsed, {
    description: `${count}${node.unread ? ` · ${vscode.l10n.t('{0} unread', node.unread)}` : ''} · ${people.slice(0, 3).join(', ')} · ${latest}`,
    tooltip,
    iconPath: node.flagged
      ? new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.yellow'))
      : new vscode.ThemeIcon('comment-discussion', node.unread ? new vscode.ThemeColor('charts.blue') : undefined),
    contextValue: threadContextValue(node),
    command: { command: 'mailroom.openConversation', title: vscode.l10n.t('Open Conversation'), arguments: [node] },
    accessibilityInformation: { label: vscode.l10n.t('Conversation: {0}, {1}, latest {2}', subject, threadCounts(count, node.unread), latest) },
  });
}

/** "5 messages, 1 unread" (a thread has at least two messages). */
function threadCounts(count: number, unread: number): string {
  return unread === 1 ? vscode.l10n.t('{0} messages, 1 unread', count) : vscode.l10n.t('{0} messages, {1} unread', count, unread);
}

export function messageContextValue(node: MessageNode): string {
  const m = node.item;
  return `${ContextValue.Message}.${m.location.protocol}.${m.seen ? 'read' : 'unread'}.${m.flagged ? 'flagged' : 'unflagged'}`;
}

function messageItem(node: MessageNode): vscode.TreeItem {
  const m = node.item;
  const subject = displayText(m.subject);
  const from = m.from ? displayText(m.from.name || m.from.address) : vscode.l10n.t('(unknown sender)');
  const path = m.location.protocol === 'imap' ? displayText(m.location.path) : '';
  const tooltip = new vscode.MarkdownString(undefined, false);
  const where =
    node.parent.kind === 'folder' || (node.parent.kind === 'thread' && path === displayText(node.parent.parent.folder.path))
      ? ''
      : `\n${vscode.l10n.t('In: {0}', `${node.account.label ?? node.account.host}${path ? ` / ${path}` : ''}`)}`;
  const state = [m.seen ? vscode.l10n.t('Read') : vscode.l10n.t('Unread'), m.flagged ? vscode.l10n.t('flagged') : '', m.answered ? vscode.l10n.t('answered') : ''].filter(Boolean).join(', ');
  tooltip.appendText(
    `${subject || vscode.l10n.t('(no subject)')}\n\n${vscode.l10n.t('From: {0}', formatAddress(m))}\n${vscode.l10n.t('Date: {0}', m.date ? new Date(m.date).toLocaleString(vscode.env.language) : vscode.l10n.t('unknown'))}\n${state}${where}`,
  );
  const prefix =
    node.parent.kind === 'unified'
      ? `${node.account.label ?? node.account.user} · `
      : (node.parent.kind === 'search' || (node.parent.kind === 'thread' && path !== displayText(node.parent.parent.folder.path))) && path
        ? `${path} · `
        : '';
  return item(node.id, subject || vscode.l10n.t('(no subject)'), vscode.TreeItemCollapsibleState.None, {
    description: `${prefix}${from} · ${formatDate(m.date)}`,
    tooltip,
    iconPath: messageIcon(m),
    contextValue: messageContextValue(node),
    command: { command: 'mailroom.openMessage', title: vscode.l10n.t('Open Message'), arguments: [node] },
    accessibilityInformation: {
      label: m.seen
        ? vscode.l10n.t('{0}, from {1}, {2}', subject || vscode.l10n.t('no subject'), from, formatDate(m.date))
        : vscode.l10n.t('Unread, {0}, from {1}, {2}', subject || vscode.l10n.t('no subject'), from, formatDate(m.date)),
    },
  });
}

function messageIcon(m: MessageItem): vscode.ThemeIcon {
  if (m.flagged) return new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.yellow'));
  return m.seen ? new vscode.ThemeIcon('mail-read') : new vscode.ThemeIcon('mail', new vscode.ThemeColor('charts.blue'));
}

const STATUS_ICONS: Record<StatusNode['severity'], [string, string | undefined]> = {
  error: ['error', 'errorForeground'],
  info: ['info', undefined],
  offline: ['debug-disconnect', 'disabledForeground'],
};

function accountItem(node: AccountNode, signInRequired: boolean): vscode.TreeItem {
  const base = node.account.protocol === 'imap' ? ContextValue.ImapAccount : ContextValue.Pop3Account;
  const suffix = signInRequired ? `.${ContextValue.SignInRequired}` : usesOAuth2(node.account) ? `.${ContextValue.OAuth2}` : '';
  const where = vscode.l10n.t('{0} on {1} ({2})', node.account.user, `${node.account.host}:${node.account.port}`, node.account.security);
  return item(node.id, accountLabel(node.account), vscode.TreeItemCollapsibleState.Collapsed, {
    // First, so a narrow view still shows it.
    description: `${signInRequired ? `${vscode.l10n.t('sign-in required')} · ` : ''}${node.account.protocol.toUpperCase()} · ${node.account.host}`,
    tooltip: signInRequired ? `${where}\n\n${vscode.l10n.t('This account is not signed in, or its sign-in has ended. Sign in (the key on this row) to use it.')}` : where,
    iconPath: signInRequired ? new vscode.ThemeIcon('account', new vscode.ThemeColor('errorForeground')) : new vscode.ThemeIcon('account'),
    contextValue: `${base}${suffix}`,
  });
}

function statusItem(node: StatusNode): vscode.TreeItem {
  const isCertificate = node.error?.code === 'CertificateUntrusted';
  const [icon, color] = STATUS_ICONS[node.severity];
  return item(node.id, node.message, vscode.TreeItemCollapsibleState.None, {
    tooltip: node.error?.detail ? `${node.message}\n\n${node.error.detail}` : node.message,
    iconPath: new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined),
    contextValue: node.error?.code === 'SignInRequired' ? `${ContextValue.Status}.${ContextValue.SignInRequired}` : ContextValue.Status,
    ...(isCertificate && node.parent.kind !== 'unified' ? { command: { command: 'mailroom.trustCertificate', title: vscode.l10n.t('Trust Server Certificate…'), arguments: [node.parent.account.id] } } : {}),
  });
}

function item(id: string, label: string, state: vscode.TreeItemCollapsibleState, props: Partial<vscode.TreeItem>): vscode.TreeItem {
  const treeItem = new vscode.TreeItem(label, state);
  treeItem.id = id;
  return Object.assign(treeItem, props);
}

function formatAddress(m: MessageItem): string {
  if (!m.from) return vscode.l10n.t('unknown');
  return displayText(m.from.name ? `${m.from.name} <${m.from.address}>` : m.from.address);
}

function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  const now = new Date();
  if (date.toDateString() === now.toDateString()) return date.toLocaleTimeString(vscode.env.language, { hour: '2-digit', minute: '2-digit' });
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString(vscode.env.language, sameYear ? { month: 'short', day: 'numeric' } : { year: 'numeric', month: 'short', day: 'numeric' });
}

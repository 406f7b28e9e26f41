import type * as vscode from 'vscode';
import type { MessagePanelManager } from './messagePanel';
import type { MailNode } from './tree/nodes';
import type { MailTreeModel } from './tree/treeModel';
import type { MailTreeProvider } from './tree/treeProvider';

/**
 * What `activate` returns. The in-host tests use it to walk the same tree model the view shows
 * and to learn when a message panel has drawn; it exposes no secrets.
 */
export interface MailroomApi {
  readonly treeModel: MailTreeModel;
  readonly treeView: vscode.TreeView<MailNode>;
  readonly treeProvider: MailTreeProvider;
  readonly panels: MessagePanelManager;
  /** Whether SecretStorage holds a password for the account (never the password itself). */
  hasPassword(accountId: string): Promise<boolean>;
}

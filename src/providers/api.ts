import type * as vscode from 'vscode';
import type { MessagePanelManager } from './messagePanel';
import type { MailNode } from './tree/nodes';
import type { MailTreeModel } from './tree/treeModel';

/**
 * What `activate` returns. The in-host tests use it to walk the same tree model the view shows
 * and to learn when a message panel has drawn; it exposes no secrets.
 */
export interface MailroomApi {
  readonly treeModel: MailTreeModel;
  readonly treeView: vscode.TreeView<MailNode>;
  readonly panels: MessagePanelManager;
}

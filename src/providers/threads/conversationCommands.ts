import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import { Disposable } from '../../util/dispose';
import type { ImapAccountRegistry } from '../imapAccounts';
import { ConversationPanels } from '../message/conversationPanel';
import type { MessageSourceProvider } from '../messagePanel';
import type { ThreadNode } from '../tree/nodes';
import type { MailTreeModel } from '../tree/treeModel';
import { ConversationIndexes } from './conversations';

export interface ConversationDeps {
  model: MailTreeModel;
  imap: ImapAccountRegistry;
  sources: MessageSourceProvider;
  log: ProtocolLog;
  extensionUri: vscode.Uri;
}

/**
 * Conversations: the thread indexes behind the tree (built on first use), the conversation panels,
 * and the commands (open a conversation; the view title's toggle between conversations and
 * messages, which is the `mailroom.conversationView` setting).
 */
export class ConversationFeature extends Disposable {
  readonly indexes: ConversationIndexes;
  readonly panels: ConversationPanels;

  constructor(deps: ConversationDeps) {
    super();
    this.indexes = this._register(new ConversationIndexes(deps.imap, deps.log));
    this.panels = this._register(new ConversationPanels(deps.extensionUri, deps.sources, deps.log));
    this._register(deps.model.attachConversations(this.indexes));
    const setView = (on: boolean) => () => vscode.workspace.getConfiguration('mailroom').update('conversationView', on, vscode.ConfigurationTarget.Global);
    this._register(vscode.commands.registerCommand('mailroom.showConversations', setView(true)));
    this._register(vscode.commands.registerCommand('mailroom.showMessageList', setView(false)));
    this._register(
      vscode.commands.registerCommand('mailroom.openConversation', (node?: ThreadNode) => {
        if (node?.kind !== 'thread') return undefined;
        return this.panels.open(node).node.id;
      }),
    );
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mailroom.conversations.mergeSubjects')) this.indexes.clear();
        if (e.affectsConfiguration('mailroom.conversationView') || e.affectsConfiguration('mailroom.conversations.mergeSubjects')) deps.model.redraw();
      }),
    );
  }
}

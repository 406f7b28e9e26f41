import * as vscode from 'vscode';
import { adoptDemoPassword, AccountRepository } from './providers/accounts';
import type { MailroomApi } from './providers/api';
import { registerAccountCommands } from './providers/commands/accountCommands';
import { registerMailCommands } from './providers/commands/mailCommands';
import { createOutputLog } from './providers/log';
import { MessagePanelManager } from './providers/messagePanel';
import { SessionRegistry } from './providers/sessions';
import { MailTreeModel } from './providers/tree/treeModel';
import { MailTreeProvider } from './providers/tree/treeProvider';

/** Composition root: builds the long-lived objects and registers them. Connects nowhere. */
export function activate(context: vscode.ExtensionContext): MailroomApi {
  const logChannel = vscode.window.createOutputChannel('Mailroom', { log: true });
  const log = createOutputLog(logChannel);
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0');

  const repository = new AccountRepository(context.secrets, log);
  const sessions = new SessionRegistry({ repository, log, clientVersion: version });
  const treeModel = new MailTreeModel(repository, sessions, log);
  const treeProvider = new MailTreeProvider(treeModel);
  const treeView = vscode.window.createTreeView('mailroom.mailboxes', { treeDataProvider: treeProvider, showCollapseAll: true });
  const panels = new MessagePanelManager(context.extensionUri, sessions, log);

  context.subscriptions.push(
    logChannel,
    repository,
    sessions,
    treeModel,
    treeProvider,
    treeView,
    panels,
    registerAccountCommands({ repository, sessions, model: treeModel, log }),
    registerMailCommands({ model: treeModel, panels, log, logChannel }),
    repository.onDidChange(() => updateAccountCountContext(repository)),
  );
  updateAccountCountContext(repository);
  void adoptDemoPassword(repository, process.env).catch((err: unknown) => log.warn(`demo password not stored: ${String(err)}`));

  return {
    treeModel,
    treeView,
    treeProvider,
    panels,
    hasPassword: async (accountId) => (await repository.getPassword(accountId)) !== undefined,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

function updateAccountCountContext(repository: AccountRepository): void {
  void vscode.commands.executeCommand('setContext', 'mailroom.accountCount', repository.list().length);
}

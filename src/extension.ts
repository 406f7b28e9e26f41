import * as vscode from 'vscode';
import { AccountRepository } from './providers/accounts';
import type { StartupInfo } from './bootstrap';
import type { MailroomApi } from './providers/api';
import { SecretTokenStore } from './providers/auth/secretTokenStore';
import { signInToAccount } from './providers/auth/signIn';
import { registerSignInCommand } from './providers/auth/signInCommand';
import { SignInStates } from './providers/auth/signInState';
import { registerAccountCommands } from './providers/commands/accountCommands';
import { registerFolderCommands } from './providers/commands/folderCommands';
import { registerMailCommands } from './providers/commands/mailCommands';
import { registerMessageCommands } from './providers/commands/messageCommands';
import { registerComposeCommands } from './providers/compose/composeCommands';
import { registerDemoCommand } from './providers/commands/demoCommand';
import { InvitationFeature } from './providers/message/invitations';
import { registerMessageViewCommands } from './providers/message/viewCommands';
import { registerSearchCommands } from './providers/commands/searchCommands';
import { registerPop3Commands } from './providers/commands/pop3Commands';
import { registerLocalSearchCommand } from './providers/search/localSearchCommand';
import { LocalSearchService } from './providers/search/localSearchService';
import { ImapAccountRegistry } from './providers/imapAccounts';
import { Pop3AccountRegistry } from './providers/pop3Accounts';
import { watchPop3Accounts } from './providers/pop3AutoCheck';
import { registerProbeCommands } from './providers/probe/probeCommands';
import { createOutputLog } from './providers/log';
import { MessagePanelManager } from './providers/messagePanel';
import { MessageSources } from './providers/messageSources';
import { LoginSessions } from './providers/sessions';
import { mailroomSettings } from './providers/settings';
import { NewMailNotifier } from './providers/notifications/newMailNotifier';
import { MailStatusBar, watchPop3Inboxes } from './providers/statusBar';
import { MailDragAndDropController } from './providers/tree/dragAndDrop';
import { MailTreeModel } from './providers/tree/treeModel';
import { ConversationFeature } from './providers/threads/conversationCommands';
import { MailTreeProvider } from './providers/tree/treeProvider';

/** Composition root: builds the long-lived objects and registers them. Connects nowhere. */
export function activate(context: vscode.ExtensionContext, startup?: StartupInfo): MailroomApi {
  const logChannel = vscode.window.createOutputChannel('Mailroom', { log: true });
  const log = createOutputLog(logChannel);
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0');
  log.info(`Mailroom ${version} started; code cache: ${startup?.codeCache ?? 'not used'}`);

  const repository = new AccountRepository(context.secrets, log, context.globalState);
  const sessions = new LoginSessions({ log, clientVersion: version });
  const imap = new ImapAccountRegistry({ repository, log, clientVersion: version, storageDir: context.globalStorageUri.fsPath });
  const pop3 = new Pop3AccountRegistry({ repository, log, storageDir: context.globalStorageUri.fsPath });
  const treeModel = new MailTreeModel(repository, imap, pop3, log);
  const signInStates = new SignInStates(context.secrets, repository);
  const treeProvider = new MailTreeProvider(treeModel, signInStates);
  const dragAndDrop = new MailDragAndDropController(log);
  const treeView = vscode.window.createTreeView('mailroom.mailboxes', {
    treeDataProvider: treeProvider,
    showCollapseAll: true,
    canSelectMany: true,
    dragAndDropController: dragAndDrop,
  });
  const sources = new MessageSources(imap, pop3, log);
  const panels = new MessagePanelManager(context.extensionUri, sources, log);
  const statusBar = new MailStatusBar(imap, log, treeView);
  const localSearch = new LocalSearchService({ repository, imap, pop3, log, storageDir: context.globalStorageUri.fsPath });
  const notifier = new NewMailNotifier({ imap, model: treeModel, panels, log });
  const probe = registerProbeCommands({ log: logChannel, extensionUri: context.extensionUri, accounts: repository });
  const compose = registerComposeCommands({
    storageDir: context.globalStorageUri.fsPath,
    repository,
    imap,
    pop3,
    sources,
    panels,
    model: treeModel,
    treeView,
    log,
  });
  const invitations = new InvitationFeature({ storageDir: context.globalStorageUri.fsPath, sources, panels, compose, log });
  panels.invitations = invitations;

  const conversations = new ConversationFeature({ model: treeModel, imap, sources, log, extensionUri: context.extensionUri });

  context.subscriptions.push(
    conversations,
    logChannel,
    repository,
    imap,
    pop3,
    treeModel,
    treeProvider,
    treeView,
    panels,
    statusBar,
    notifier,
    probe,
    compose,
    invitations,
    registerMessageViewCommands({ panels, sources, treeView, log, extensionUri: context.extensionUri }),
    watchPop3Inboxes(statusBar, notifier, pop3, repository),
    watchPop3Accounts({ accounts: repository, view: treeView, enabled: () => mailroomSettings().pop3CheckIntervalMs > 0, check: (account) => pop3.check(account) }),
    registerAccountCommands({
      repository,
      sessions,
      model: treeModel,
      log,
      globalState: context.globalState,
      extensionUri: context.extensionUri,
      signIn: async (account) => (await signInToAccount(account, { secrets: context.secrets, log })) !== undefined,
      forgetSignIn: (account) => new SecretTokenStore(context.secrets, account.id).save(undefined),
    }),
    signInStates,
    registerSignInCommand({
      repository,
      secrets: context.secrets,
      log,
      extensionUri: context.extensionUri,
      onSignedIn: (account) => treeModel.refresh(treeModel.findAccount(account.id)),
    }),
    registerMailCommands({ model: treeModel, panels, log, logChannel }),
    registerDemoCommand(context.extensionUri, log),
    registerMessageCommands({ model: treeModel, imap, pop3, log, treeView }),
    registerPop3Commands({ model: treeModel, imap, pop3, log, treeView }),
    registerFolderCommands({ model: treeModel, imap, log, treeView }),
    registerSearchCommands({ model: treeModel, log, treeView }),
    localSearch,
    registerLocalSearchCommand({ search: localSearch, model: treeModel, panels, log }),
    repository.onDidChange(() => updateAccountCountContext(repository)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mailroom.pop3CheckIntervalMinutes')) pop3.reschedule();
      if (e.affectsConfiguration('mailroom.showUnsubscribedFolders')) {
        imap.applySettings();
        treeModel.refresh();
      }
    }),
    // Coming back to the window is a good moment to reconnect an account that went offline.
    vscode.window.onDidChangeWindowState((state) => {
      if (state.focused) for (const account of imap.active()) if (account.state() === 'offline') account.kick();
    }),
  );
  updateAccountCountContext(repository);

  return {
    treeModel,
    treeView,
    treeProvider,
    panels,
    imap,
    pop3,
    statusBar,
    dragAndDrop,
    probe,
    compose,
    conversations,
    startup,
    hasPassword: async (accountId) => (await repository.getPassword(accountId)) !== undefined,
    hasIdentityPassword: async (accountId, address) => {
      await repository.identitySweep;
      return (await repository.getIdentityPassword(accountId, address)) !== undefined;
    },
    signInStatus: async (accountId) => {
      const account = repository.get(accountId);
      return account ? signInStates.status(account) : { signedIn: false };
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

function updateAccountCountContext(repository: AccountRepository): void {
  void vscode.commands.executeCommand('setContext', 'mailroom.accountCount', repository.list().length);
}

import type * as vscode from 'vscode';
import type { StartupInfo } from '../bootstrap';
import type { SignInStatus } from './auth/signInState';
import type { ComposeFeature } from './compose/composeCommands';
import type { ImapAccountRegistry } from './imapAccounts';
import type { MessagePanelManager } from './messagePanel';
import type { Pop3AccountRegistry } from './pop3Accounts';
import type { ProbeFeature } from './probe/probeCommands';
import type { MailStatusBar } from './statusBar';
import type { MailDragAndDropController } from './tree/dragAndDrop';
import type { MailNode } from './tree/nodes';
import type { MailTreeModel } from './tree/treeModel';
import type { MailTreeProvider } from './tree/treeProvider';
import type { ConversationFeature } from './threads/conversationCommands';

/**
 * What `activate` returns. The in-host tests use it to walk the same tree model the view shows
 * and to learn when a message panel has drawn; it exposes no secrets.
 */
export interface MailroomApi {
  readonly treeModel: MailTreeModel;
  readonly treeView: vscode.TreeView<MailNode>;
  readonly treeProvider: MailTreeProvider;
  readonly panels: MessagePanelManager;
  /** IMAP accounts in use, with their caches (tests read sync state through it). */
  readonly imap: ImapAccountRegistry;
  /** POP3 accounts' local caches and checks. */
  readonly pop3: Pop3AccountRegistry;
  readonly statusBar: MailStatusBar;
  /** Server checks; tests wait for its report webview. */
  readonly probe: ProbeFeature;
  /** Compose tabs, sending and the outbox; tests read deliveries through it. */
  readonly compose: ComposeFeature;
  /** Conversations: thread indexes and conversation panels (tests wait for a panel's render). */
  readonly conversations: ConversationFeature;
  /** The tree's drag-and-drop controller (tests drive drops through it, as the workbench does). */
  readonly dragAndDrop: MailDragAndDropController;
  /** How dist/extension.js loaded the host (its code cache); undefined when loaded without it. */
  readonly startup: StartupInfo | undefined;
  /** Whether SecretStorage holds a password for the account (never the password itself). */
  hasPassword(accountId: string): Promise<boolean>;
  /** Whether SecretStorage holds an identity's own SMTP password, once the running sweep of removed identities is done. */
  hasIdentityPassword(accountId: string, address: string): Promise<boolean>;
  /** Whether an OAuth2 account holds a sign-in, and until when its access token lasts (never the token). */
  signInStatus(accountId: string): Promise<SignInStatus>;
}

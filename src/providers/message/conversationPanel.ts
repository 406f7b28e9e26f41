import * as vscode from 'vscode';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import { FromConversation, parseFromConversation, ToConversation } from '../../shared/conversationView';
import { displayText } from '../../shared/displayText';
import { Disposable } from '../../util/dispose';
import { MailPage } from './mailPage';
import type { MessageSourceProvider } from '../messagePanel';
import { threadMessageRows } from '../tree/conversationRows';
import type { MessageNode, ThreadNode } from '../tree/nodes';
import { localizedErrorMessage } from '../errorText';
import { reportError } from '../errors';
import { vscodeLinkActions, openMessageLink } from './openLink';
import { allowRemote, allowSenders, LoadedEntry } from './conversationRemote';
import { allowedSenders, isAllowedSender, onDidChangeAllowedSenders, rememberAllowedSender } from './remoteSenders';
import { messageFolder, renderMessage } from './renderMessage';
import { withRemoteAllowed } from './viewModel';

/** What the webview reported it drew: how many messages, how many expanded, whose remote content is loaded. */
export interface ConversationRendered {
  threadId: string;
  count: number;
  expanded: number;
  /** Indices of the messages shown with remote content allowed (their frame's policy and the page's). */
  remoteLoaded: number[];
}

/**
 * All messages of a conversation in one tab, oldest first; read ones collapsed. Each message goes
 * through the message panel's pipeline (stream parse, sanitizer, frame document with its CSP) and
 * remote content is handled as there: blocked, with a notice per message ("Load Remote Content",
 * "Always Load from <sender>"), and loaded at once for the allowed senders. Each message's frame
 * carries its own policy, so loading one message's remote content loads no other's. Links go
 * through the same link policy.
 */
export class ConversationPanels extends Disposable {
  private readonly panels = new Map<string, ConversationPanel>();
  private readonly _onDidRender = this._register(new vscode.EventEmitter<ConversationRendered>());
  readonly onDidRender = this._onDidRender.event;

  constructor(private readonly extensionUri: vscode.Uri, private readonly sources: MessageSourceProvider, private readonly log: ProtocolLog) {
    super();
    this._register(onDidChangeAllowedSenders(() => this.panels.forEach((panel) => panel.followAllowedSenders())));
  }

  open(node: ThreadNode): ConversationPanel {
    const existing = this.panels.get(node.id);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = new ConversationPanel(node, this.extensionUri, this.sources, this.log, (r) => this._onDidRender.fire(r));
    this.panels.set(node.id, panel);
    panel.onDidDispose(() => this.panels.delete(node.id));
    return panel;
  }

  override dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    super.dispose();
  }
}

export class ConversationPanel extends MailPage<ToConversation> {
  protected readonly panel: vscode.WebviewPanel;
  private readonly messages: MessageNode[];
  /** Each message as shown, with its sanitized body kept to rebuild its frame when remote content is allowed. */
  private loaded: LoadedEntry[] | undefined;
  readonly onDidDispose: vscode.Event<void>;

  constructor(
    readonly node: ThreadNode,
    protected readonly extensionUri: vscode.Uri,
    private readonly sources: MessageSourceProvider,
    private readonly log: ProtocolLog,
    private readonly reportRendered: (report: ConversationRendered) => void,
  ) {
    super();
    this.messages = threadMessageRows(node);
    const mediaRoot = vscode.Uri.joinPath(extensionUri, 'media');
    const subject = displayText(node.subject).trim() || vscode.l10n.t('(no subject)');
    this.panel = vscode.window.createWebviewPanel('mailroom.conversation', subject.length > 60 ? `${subject.slice(0, 57)}…` : subject, vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      enableFindWidget: true,
      localResourceRoots: [vscode.Uri.joinPath(mediaRoot, 'conversation'), vscode.Uri.joinPath(mediaRoot, 'icons'), vscode.Uri.joinPath(extensionUri, 'dist', 'webviews')],
    });
    this.panel.iconPath = vscode.Uri.joinPath(mediaRoot, 'icons', 'mail.svg');
    this.onDidDispose = this.panel.onDidDispose;
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(this.panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(parseFromConversation(raw))));
    // An allowed sender in the thread: the page gets the remote-content policy from the start (the tree knows From).
    this.shellRemote = this.messages.some((m) => isAllowedSender(m.item.from?.address ?? ''));
    this.panel.webview.html = this.html();
    void this.load();
  }

  reveal(): void {
    this.panel.reveal();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }

  /**
   * The allowed senders changed (here, in another window or in settings.json): this conversation's
   * messages from a sender now allowed load their remote content; the others stay as they are.
   */
  followAllowedSenders(): void {
    if (this.isDisposed || !this.loaded) return;
    const changed = allowSenders(this.loaded, allowedSenders());
    if (!changed.length) return;
    this.log.info(`conversation ${this.node.threadId}: remote content loaded for ${changed.length} message(s) of senders allowed now`);
    if (!this.shellRemote) this.setHtml(true); // the new page asks for the entries on 'ready'
    else for (const l of changed) this.post({ type: 'entry', entry: l.entry });
  }

  private onMessage(message: FromConversation | undefined): void {
    if (!message) {
      this.log.warn('ignored a malformed message from the conversation webview');
      return;
    }
    switch (message.type) {
      case 'ready':
        this.pageReady = true;
        if (this.loaded) this.post({ type: 'show', subject: this.node.subject, entries: this.loaded.map((l) => l.entry) });
        else this.post({ type: 'loading', subject: displayText(this.node.subject), count: this.messages.length });
        break;
      case 'rendered':
        this.reportRendered({ threadId: this.node.threadId, count: message.count, expanded: message.expanded, remoteLoaded: this.remoteLoaded() });
        break;
      case 'openLink':
        void openMessageLink(message, this.log, vscodeLinkActions).catch((err: unknown) => this.log.error(`opening a link failed: ${String(err)}`));
        break;
      case 'reply': {
        const target = this.messages[message.index];
        if (target) void vscode.commands.executeCommand(message.all ? 'mailroom.replyAll' : 'mailroom.reply', target);
        break;
      }
      case 'openMessage': {
        const target = this.messages[message.index];
        if (target) void vscode.commands.executeCommand('mailroom.openMessage', target);
        break;
      }
      case 'expanded': {
        // The person opened or closed a message: a redrawn entry or a replaced page keeps that.
        const open = new Set(message.expanded);
        for (const l of this.loaded ?? []) if (l.entry.collapsed === open.has(l.entry.index)) l.entry = { ...l.entry, collapsed: !open.has(l.entry.index) };
        break;
      }
      case 'remote':
        void this.loadRemoteContent(message.index, message.always, message.expanded).catch((err: unknown) => reportError(this.log, vscode.l10n.t('Loading remote content'), err));
        break;
    }
  }

  /**
   * Shows message `index` again with its remote content (and, for "Always Load from <sender>", every
   * message of that sender here, after adding the sender to the setting). The first time, the page
   * is replaced by one whose policy allows remote content, as the message view does; the messages
   * open now stay open.
   */
  private async loadRemoteContent(index: number, always: boolean, expanded: readonly number[]): Promise<void> {
    const target = this.loaded?.[index];
    if (!target?.entry.message || !target.body) return;
    const allowed = always ? await rememberAllowedSender(target.fromAddress) : undefined;
    if (this.isDisposed || !this.loaded) return;
    const pageReplaced = !this.shellRemote;
    const changed = allowRemote(this.loaded, { index, expanded, pageReplaced, ...(allowed ? { allowed } : {}) });
    this.log.info(`conversation ${this.node.threadId}: remote content loaded for ${changed.length} message(s)`);
    if (pageReplaced) this.setHtml(true); // the new page asks for the entries on 'ready'
    else for (const l of changed) this.post({ type: 'entry', entry: l.entry });
  }

  /** Loads, parses and sanitizes every message in turn (one at a time: a thread can be long). */
  private async load(): Promise<void> {
    const loaded: LoadedEntry[] = [];
    const last = this.messages.length - 1;
    for (const [index, node] of this.messages.entries()) {
      const folder = messageFolder(node);
      // Unread ones and the newest are open; read ones start as a header line.
      const collapsed = node.item.seen && index !== last;
      try {
        const { model, body, fromAddress } = await renderMessage(node, this.sources);
        const message = body !== undefined && isAllowedSender(fromAddress) ? withRemoteAllowed(model, body, true) : model;
        loaded.push({ entry: { index, collapsed, folder, message }, body, fromAddress });
        if (!collapsed) this.sources.shown?.(node);
      } catch (err) {
        const error = MailError.from(err);
        this.log.warn(`conversation: message ${node.id} not shown: ${error.message}`);
        loaded.push({ entry: { index, collapsed: false, folder, error: localizedErrorMessage(error) }, fromAddress: '' });
      }
      if (this.isDisposed) return;
    }
    this.loaded = loaded;
    if (!this.shellRemote && loaded.some((l) => l.entry.message?.remoteAllowed)) this.setHtml(true);
    else this.post({ type: 'show', subject: this.node.subject, entries: loaded.map((l) => l.entry) });
  }

  /** The messages shown with remote content: allowed by their frame's policy and by the page's. */
  private remoteLoaded(): number[] {
    if (!this.shellRemote || !this.loaded) return [];
    return this.loaded.filter((l) => l.entry.message?.remoteAllowed).map((l) => l.entry.index);
  }

  /** The page, with the policy remote content needs once one message loads it. */
  protected html(): string {
    return this.shellPage({ script: 'conversation.js', style: ['conversation', 'conversation.css'], title: vscode.l10n.t('Conversation') });
  }
}

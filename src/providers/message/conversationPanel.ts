import * as vscode from 'vscode';
import { accountLabel } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import { ConversationEntry, FromConversation, parseFromConversation, ToConversation } from '../../shared/conversationView';
import { displayText } from '../../shared/displayText';
import { Disposable } from '../../util/dispose';
import type { MessageSourceProvider } from '../messagePanel';
import { threadMessageRows } from '../tree/conversationRows';
import type { MessageNode, ThreadNode } from '../tree/nodes';
import { webviewHtml } from '../webviewHtml';
import { messageShellCsp } from './csp';
import { vscodeLinkActions, openMessageLink } from './openLink';
import { buildViewModel } from './viewModel';
import { loadEngine } from '../../loadEngine';

/** What the webview reported it drew: how many messages, how many expanded. */
export interface ConversationRendered {
  threadId: string;
  count: number;
  expanded: number;
}

/**
 * All messages of a conversation in one tab, oldest first; read ones collapsed. Each message goes
 * through the message panel's pipeline (stream parse, sanitizer, frame document with its CSP) and
 * the shell has the message panel's CSP with remote content blocked: "Open" on a message shows it
 * in its own panel, where remote content can be loaded. Links go through the same link policy.
 */
export class ConversationPanels extends Disposable {
  private readonly panels = new Map<string, ConversationPanel>();
  private readonly _onDidRender = this._register(new vscode.EventEmitter<ConversationRendered>());
  readonly onDidRender = this._onDidRender.event;

  constructor(private readonly extensionUri: vscode.Uri, private readonly sources: MessageSourceProvider, private readonly log: ProtocolLog) {
    super();
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

export class ConversationPanel extends Disposable {
  private readonly panel: vscode.WebviewPanel;
  private readonly messages: MessageNode[];
  private entries: ConversationEntry[] | undefined;
  private pageReady = false;
  readonly onDidDispose: vscode.Event<void>;

  constructor(
    readonly node: ThreadNode,
    extensionUri: vscode.Uri,
    private readonly sources: MessageSourceProvider,
    private readonly log: ProtocolLog,
    private readonly reportRendered: (report: ConversationRendered) => void,
  ) {
    super();
    this.messages = threadMessageRows(node);
    const mediaRoot = vscode.Uri.joinPath(extensionUri, 'media');
    const subject = displayText(node.subject).trim() || '(no subject)';
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
    const webview = this.panel.webview;
    webview.html = webviewHtml({
      webview,
      extensionUri,
      script: 'conversation.js',
      style: ['conversation', 'conversation.css'],
      title: 'Conversation',
      placeholder: 'Loading…',
      imgSrc: 'webview',
      csp: (nonce) => messageShellCsp({ cspSource: webview.cspSource, nonce, remoteAllowed: false }),
    });
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

  private onMessage(message: FromConversation | undefined): void {
    if (!message) {
      this.log.warn('ignored a malformed message from the conversation webview');
      return;
    }
    switch (message.type) {
      case 'ready':
        this.pageReady = true;
        if (this.entries) this.post({ type: 'show', subject: this.node.subject, entries: this.entries });
        else this.post({ type: 'loading', subject: displayText(this.node.subject), count: this.messages.length });
        break;
      case 'rendered':
        this.reportRendered({ threadId: this.node.threadId, count: message.count, expanded: message.expanded });
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
    }
  }

  /** Loads, parses and sanitizes every message in turn (one at a time: a thread can be long). */
  private async load(): Promise<void> {
    const entries: ConversationEntry[] = [];
    const last = this.messages.length - 1;
    for (const [index, node] of this.messages.entries()) {
      const { item } = node;
      const folder = item.location.protocol === 'imap' ? item.location.path : 'Inbox';
      // Unread ones and the newest are open; read ones start as a header line.
      const collapsed = item.seen && index !== last;
      try {
        const parsed = await loadEngine().parseMessageStream(await this.sources.load(node));
        const body = parsed.html !== undefined ? loadEngine().sanitizeMessageHtml(parsed.html, { inlineImages: parsed.inlineImages }) : undefined;
        const message = buildViewModel(parsed, body, { accountLabel: accountLabel(node.account), folder, fallbackDate: item.date, remoteAllowed: false });
        entries.push({ index, collapsed, folder, message });
        if (!collapsed) this.sources.shown?.(node);
      } catch (err) {
        const error = MailError.from(err);
        this.log.warn(`conversation: message ${node.id} not shown: ${error.message}`);
        entries.push({ index, collapsed: false, folder, error: error.message });
      }
      if (this.isDisposed) return;
    }
    this.entries = entries;
    this.post({ type: 'show', subject: this.node.subject, entries });
  }

  private post(message: ToConversation): void {
    if (!this.isDisposed && this.pageReady) void this.panel.webview.postMessage(message);
  }
}

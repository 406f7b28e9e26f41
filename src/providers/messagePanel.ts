import * as vscode from 'vscode';
import { accountLabel } from '../protocol/account';
import { MailError } from '../protocol/errors';
import { parseMessage } from '../protocol/mime/parseMessage';
import type { ProtocolLog } from '../protocol/log';
import { FromWebview, MessageViewModel, parseFromWebview, ToWebview } from '../shared/messageView';
import { Disposable } from '../util/dispose';
import type { MessageNode } from './tree/nodes';
import { webviewHtml } from './webviewHtml';

/** Where panels get a message's bytes, and what happens when one is shown (mark read). */
export interface MessageSourceProvider {
  load(node: MessageNode): Promise<Buffer>;
  /** Called once the message has been shown to the user. */
  shown?(node: MessageNode): void;
}

export interface RenderedReport {
  panelKey: string;
  subject: string;
  textLength: number;
}

/** Opens one webview panel per message and reveals the existing one when asked again. */
export class MessagePanelManager extends Disposable {
  private readonly panels = new Map<string, MessagePanel>();
  private readonly _onDidRender = this._register(new vscode.EventEmitter<RenderedReport>());
  /** Fires when a webview reports it has drawn a message: what a person now sees. */
  readonly onDidRender = this._onDidRender.event;

  constructor(private readonly extensionUri: vscode.Uri, private readonly sources: MessageSourceProvider, private readonly log: ProtocolLog) {
    super();
  }

  open(node: MessageNode): MessagePanel {
    const key = node.id;
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = new MessagePanel(key, node, this.extensionUri, this.sources, this.log, (report) => this._onDidRender.fire(report));
    this.panels.set(key, panel);
    panel.onDidDispose(() => this.panels.delete(key));
    return panel;
  }

  get openPanelCount(): number {
    return this.panels.size;
  }

  override dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    super.dispose();
  }
}

export class MessagePanel extends Disposable {
  private readonly panel: vscode.WebviewPanel;
  private loaded: MessageViewModel | undefined;
  private loading: Promise<void> | undefined;
  readonly onDidDispose: vscode.Event<void>;

  constructor(
    readonly key: string,
    private readonly node: MessageNode,
    private readonly extensionUri: vscode.Uri,
    private readonly sources: MessageSourceProvider,
    private readonly log: ProtocolLog,
    private readonly reportRendered: (report: RenderedReport) => void,
  ) {
    super();
    const mediaRoot = vscode.Uri.joinPath(extensionUri, 'media');
    const distRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
    this.panel = vscode.window.createWebviewPanel('mailroom.message', title(node.item.subject), vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      enableFindWidget: true,
      localResourceRoots: [mediaRoot, distRoot],
    });
    this.panel.iconPath = vscode.Uri.joinPath(mediaRoot, 'icons', 'mail.svg');
    this.onDidDispose = this.panel.onDidDispose;
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(this.panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(parseFromWebview(raw))));
    this.panel.webview.html = this.html();
  }

  reveal(): void {
    this.panel.reveal();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }

  private onMessage(message: FromWebview | undefined): void {
    if (!message) {
      this.log.warn('ignored a malformed message from the message webview');
      return;
    }
    switch (message.type) {
      case 'ready':
        void this.showMessage(false);
        break;
      case 'retry':
        void this.showMessage(true);
        break;
      case 'rendered':
        this.reportRendered({ panelKey: this.key, subject: message.subject, textLength: message.textLength });
        break;
    }
  }

  private async showMessage(forceReload: boolean): Promise<void> {
    if (this.loaded && !forceReload) {
      this.post({ type: 'show', message: this.loaded });
      return;
    }
    this.post({ type: 'loading', subject: this.node.item.subject });
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    await this.loading;
  }

  private async load(): Promise<void> {
    const { account, item } = this.node;
    const folder = item.location.protocol === 'imap' ? item.location.path : 'Inbox';
    try {
      const source = await this.sources.load(this.node);
      const parsed = await parseMessage(source);
      this.loaded = { ...parsed, accountLabel: accountLabel(account), folder, date: parsed.date || item.date || '' };
      this.post({ type: 'show', message: this.loaded });
      this.sources.shown?.(this.node);
    } catch (err) {
      const error = MailError.is(err) ? err : new MailError('Unknown', `The message could not be shown: ${err instanceof Error ? err.message : String(err)}`);
      this.log.error(`opening message ${this.node.id} failed: ${error.message} ${error.detail ?? ''}`);
      this.post({ type: 'error', message: error.message, canRetry: error.code !== 'MessageNotFound' });
    }
  }

  private post(message: ToWebview): void {
    if (!this.isDisposed) void this.panel.webview.postMessage(message);
  }

  private html(): string {
    return webviewHtml({ webview: this.panel.webview, extensionUri: this.extensionUri, script: 'message.js', style: ['message', 'message.css'], title: 'Message', placeholder: 'Loading…', imgSrc: 'webview' });
  }
}

function title(subject: string): string {
  const text = subject.trim() || '(no subject)';
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import { FromHeadersWebview, HeadersViewModel, parseFromHeadersWebview, ToHeadersWebview } from '../../shared/headersView';
import { Disposable } from '../../util/dispose';
import { webviewHtml } from '../webviewHtml';

export interface HeadersRenderedReport {
  hops: number;
  auth: number;
}

/** The header inspector: one panel (viewType mailroom.headers), reused for the next message inspected. */
export class HeadersPanel extends Disposable {
  private readonly panel: vscode.WebviewPanel;
  private model: HeadersViewModel;
  private readonly waiters: Array<(report: HeadersRenderedReport) => void> = [];
  readonly onDidDispose: vscode.Event<void>;

  constructor(model: HeadersViewModel, extensionUri: vscode.Uri, private readonly log: ProtocolLog) {
    super();
    this.model = model;
    const mediaRoot = vscode.Uri.joinPath(extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel('mailroom.headers', panelTitle(model), vscode.ViewColumn.Beside, {
      enableScripts: true,
      enableCommandUris: false,
      enableFindWidget: true,
      localResourceRoots: [vscode.Uri.joinPath(mediaRoot, 'headers'), vscode.Uri.joinPath(extensionUri, 'dist', 'webviews')],
    });
    this.panel.iconPath = vscode.Uri.joinPath(mediaRoot, 'icons', 'mail.svg');
    this.onDidDispose = this.panel.onDidDispose;
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(this.panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(parseFromHeadersWebview(raw))));
    this.panel.webview.html = webviewHtml({
      webview: this.panel.webview,
      extensionUri,
      script: 'headers.js',
      style: ['headers', 'headers.css'],
      title: vscode.l10n.t('Message Headers'),
      placeholder: vscode.l10n.t('Reading headers…'),
      imgSrc: 'none',
    });
  }

  /** Shows another message's headers; resolves when the webview has drawn them. */
  show(model: HeadersViewModel): Promise<HeadersRenderedReport> {
    this.model = model;
    this.panel.title = panelTitle(model);
    this.panel.reveal(vscode.ViewColumn.Beside);
    const rendered = this.nextRender();
    this.post({ type: 'show', model });
    return rendered;
  }

  nextRender(timeoutMs = 30_000): Promise<HeadersRenderedReport> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the header inspector did not draw in time')), timeoutMs);
      this.waiters.push((report) => {
        clearTimeout(timer);
        resolve(report);
      });
    });
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }

  private onMessage(message: FromHeadersWebview | undefined): void {
    if (!message) {
      this.log.warn('ignored a malformed message from the header inspector');
      return;
    }
    if (message.type === 'ready') this.post({ type: 'show', model: this.model });
    else for (const waiter of this.waiters.splice(0)) waiter({ hops: message.hops, auth: message.auth });
  }

  private post(message: ToHeadersWebview): void {
    if (!this.isDisposed) void this.panel.webview.postMessage(message);
  }
}

/** model.subject is already display text (buildHeadersModel). */
function panelTitle(model: HeadersViewModel): string {
  const subject = model.subject.trim() || vscode.l10n.t('(no subject)');
  return vscode.l10n.t('Headers: {0}', subject.length > 40 ? `${subject.slice(0, 39)}…` : subject);
}

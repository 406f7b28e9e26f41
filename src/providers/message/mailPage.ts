import * as vscode from 'vscode';
import { Disposable } from '../../util/dispose';
import { webviewHtml, WebviewPage } from '../webviewHtml';
import { messageShellCsp } from './csp';

/**
 * A webview page that shows mail under the message shell's policy (the message view and the
 * conversation panel): it posts only once the page has said 'ready', and replaces the page, with a
 * fresh nonce, when its policy must change for remote content.
 */
export abstract class MailPage<ToPage> extends Disposable {
  protected abstract readonly panel: vscode.WebviewPanel;
  protected abstract readonly extensionUri: vscode.Uri;
  /** The page has said 'ready' and not been replaced since: posts reach it. */
  protected pageReady = false;
  /**
   * Whether the page's policy allows remote content (a change needs a new page). A mail frame is
   * held to the page's policy and to its own, so frames whose own policy blocks it stay blocked.
   */
  protected shellRemote = false;

  /** The page's HTML for the current `shellRemote`. */
  protected abstract html(): string;

  /** A new page under the message shell's policy; webviewHtml makes a fresh nonce for each. */
  protected shellPage(page: Pick<WebviewPage, 'script' | 'style' | 'title' | 'inline' | 'initialState'>): string {
    const webview = this.panel.webview;
    return webviewHtml({
      ...page,
      webview,
      extensionUri: this.extensionUri,
      placeholder: vscode.l10n.t('Loading…'),
      imgSrc: 'webview',
      csp: (nonce) => messageShellCsp({ cspSource: webview.cspSource, nonce, remoteAllowed: this.shellRemote }),
    });
  }

  /** Posts to the page once it is ready; before that, the page's 'ready' picks up what it needs. */
  protected post(message: ToPage): void {
    if (!this.isDisposed && this.pageReady) void this.panel.webview.postMessage(message);
  }

  protected setHtml(remoteAllowed: boolean): void {
    if (this.isDisposed) return;
    this.pageReady = false;
    this.shellRemote = remoteAllowed;
    this.panel.webview.html = this.html();
  }
}

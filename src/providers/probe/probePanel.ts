import * as vscode from 'vscode';
import { webviewHtml } from '../webviewHtml';
import type { ProtocolLog } from '../../protocol/log';
import { DomainSummaryView, FromProbeWebview, parseFromProbeWebview, ProbeReport, ProbeViewModel, ToProbeWebview } from '../../shared/probeReport';
import { Disposable } from '../../util/dispose';
import { loadEngine } from '../../loadEngine';

export interface ProbeRenderedReport {
  title: string;
  endpoints: number;
  /** Characters of text the webview shows. */
  textLength: number;
}

/**
 * One webview panel per check: sections per endpoint and phase, filled in as endpoints finish.
 * "Copy as Markdown/JSON" come back as messages; the host writes the clipboard.
 */
export class ProbePanel extends Disposable {
  private readonly panel: vscode.WebviewPanel;
  private view: ProbeViewModel;
  /** A domain check copies its own report, not only the MX ports'. */
  private domainCopy: { markdown: string; json: string } | undefined;
  readonly onDidDispose: vscode.Event<void>;

  constructor(
    title: string,
    pending: number,
    private readonly extensionUri: vscode.Uri,
    private readonly log: ProtocolLog,
    private readonly reportRendered: (report: ProbeRenderedReport) => void,
  ) {
    super();
    this.view = { title, pending, reports: [] };
    const mediaRoot = vscode.Uri.joinPath(extensionUri, 'media');
    const distRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
    this.panel = vscode.window.createWebviewPanel('mailroom.probe', title, vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      enableFindWidget: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(mediaRoot, 'probe'), distRoot],
    });
    this.panel.iconPath = vscode.Uri.joinPath(mediaRoot, 'icons', 'mail.svg');
    this.onDidDispose = this.panel.onDidDispose;
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(this.panel.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(parseFromProbeWebview(raw))));
    this.panel.webview.html = this.html();
  }

  /** Replaces the reports shown (in the order given) and how many are still running. */
  update(reports: ProbeReport[], pending: number): void {
    this.view = { ...this.view, reports, pending };
    this.post({ type: 'show', view: this.view });
  }

  /** Shows reports read back from a file (nothing is running), saying where they came from. */
  showStored(reports: ProbeReport[], source: string): void {
    this.view = { ...this.view, reports, pending: 0, source };
    this.post({ type: 'show', view: this.view });
  }

  /** Shows a finished mail-domain check: its findings and sections, then its MX ports' reports. */
  showDomain(domain: DomainSummaryView, reports: ProbeReport[], copy: { markdown: string; json: string }): void {
    this.domainCopy = copy;
    this.view = { ...this.view, domain, reports, pending: 0 };
    this.post({ type: 'show', view: this.view });
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }

  private async onMessage(message: FromProbeWebview | undefined): Promise<void> {
    if (!message) {
      this.log.warn('ignored a malformed message from the server check webview');
      return;
    }
    switch (message.type) {
      case 'ready':
        this.post({ type: 'show', view: this.view });
        break;
      case 'copy': {
        const text = this.domainCopy
          ? this.domainCopy[message.format === 'json' ? 'json' : 'markdown']
          : message.format === 'json' ? loadEngine().reportsToJson(this.view.reports) : loadEngine().renderMarkdown(this.view.reports);
        await vscode.env.clipboard.writeText(text);
        void vscode.window.showInformationMessage(vscode.l10n.t('Copied the report as {0}.', message.format === 'json' ? 'JSON' : 'Markdown'));
        break;
      }
      case 'rendered':
        this.reportRendered({ title: this.view.title, endpoints: message.endpoints, textLength: message.textLength });
        break;
    }
  }

  private post(message: ToProbeWebview): void {
    if (!this.isDisposed) void this.panel.webview.postMessage(message);
  }

  private html(): string {
    return webviewHtml({ webview: this.panel.webview, extensionUri: this.extensionUri, script: 'probe.js', style: ['probe', 'probe.css'], title: vscode.l10n.t('Server Check'), placeholder: vscode.l10n.t('Checking…'), imgSrc: 'none' });
  }
}

import * as vscode from 'vscode';
import { accountLabel } from '../protocol/account';
import { MailError } from '../protocol/errors';
import type { ProtocolLog } from '../protocol/log';
import type { CalendarPart } from '../protocol/mime/types';
import type { InvitationView } from '../shared/invitationView';
import { displayText } from '../shared/displayText';
import { FromWebview, MessageAction, MessageViewModel, parseFromWebview, ToWebview } from '../shared/messageView';
import { Disposable } from '../util/dispose';
import { MailPage } from './message/mailPage';
import { localizedErrorMessage } from './errorText';
import type { LinkDecision } from './message/linkPolicy';
import { LinkActions, openMessageLink, vscodeLinkActions } from './message/openLink';
import { isAllowedSender, onDidChangeAllowedSenders } from './message/remoteSenders';
import { invitationProblemView } from './message/invitationView';
import { RenderCache, RenderedMessage } from './message/renderCache';
import { renderMessage } from './message/renderMessage';
import { SanitizedBody, withRemoteAllowed } from './message/viewModel';
import type { MessageNode } from './tree/nodes';

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
  mode: 'html' | 'text';
  /** Remote resources the message references (blocked unless remoteAllowed). */
  remoteBlocked: number;
  remoteAllowed: boolean;
}

/** A link clicked in a message, and what the link policy made of it (before any dialog). */
export interface LinkReport {
  panelKey: string;
  href: string;
  decision: LinkDecision['kind'];
  /** The whole decision: for 'confirm', the real destination and host shown to the user. */
  detail: LinkDecision;
}

/** The invitation card of a message with a calendar part (message/invitations.ts). */
export interface InvitationCards {
  view(node: MessageNode, part: CalendarPart): Promise<InvitationView>;
}

/** Commands the webview's buttons run (registered in message/viewCommands.ts). */
const ACTION_COMMANDS: Record<MessageAction, string> = {
  loadRemoteContent: 'mailroom.loadRemoteContent',
  alwaysLoadFromSender: 'mailroom.alwaysLoadRemoteContentFromSender',
  openPatch: 'mailroom.openPatch',
  applyPatch: 'mailroom.applyPatch',
  viewSource: 'mailroom.viewSource',
  inspectHeaders: 'mailroom.inspectHeaders',
};

/** Opens one webview panel per message and reveals the existing one when asked again. */
export class MessagePanelManager extends Disposable {
  private readonly panels = new Map<string, MessagePanel>();
  private lastActive: MessagePanel | undefined;
  private readonly _onDidRender = this._register(new vscode.EventEmitter<RenderedReport>());
  /** Fires when a webview reports it has drawn a message: what a person now sees. */
  readonly onDidRender = this._onDidRender.event;
  private readonly _onDidOpenLink = this._register(new vscode.EventEmitter<LinkReport>());
  /** Fires when a link in a message was clicked, with the policy's decision. */
  readonly onDidOpenLink = this._onDidOpenLink.event;
  /**
   * What a decided link does: the real dialog, browser and compose command. Replaceable through
   * the API, so the in-host tests can click every link in hostile mail and check each decision
   * without a modal dialog or a browser tab in the way.
   */
  linkActions: LinkActions = vscodeLinkActions;
  /** Draws invitations; set by the composition root once the feature exists (no card without it). */
  invitations: InvitationCards | undefined;
  /** The messages opened last, parsed and sanitized: opening one again draws from here. */
  readonly rendered = new RenderCache();

  constructor(private readonly extensionUri: vscode.Uri, private readonly sources: MessageSourceProvider, private readonly log: ProtocolLog) {
    super();
    this._register(onDidChangeAllowedSenders(() => this.panels.forEach((panel) => panel.followAllowedSenders())));
  }

  open(node: MessageNode): MessagePanel {
    const key = node.id;
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = new MessagePanel(key, node, this.extensionUri, this.sources, this.log, (report) => this._onDidRender.fire(report), (report) => this._onDidOpenLink.fire(report), () => this.linkActions, () => this.invitations, this.rendered);
    this.panels.set(key, panel);
    this.lastActive = panel;
    panel.onDidBecomeActive(() => (this.lastActive = panel));
    panel.onDidDispose(() => {
      this.panels.delete(key);
      if (this.lastActive === panel) this.lastActive = undefined;
    });
    return panel;
  }

  /** The focused message panel, else the one focused last (still open). */
  activePanel(): MessagePanel | undefined {
    for (const panel of this.panels.values()) if (panel.active) return panel;
    return this.lastActive;
  }

  get(key: string): MessagePanel | undefined {
    return this.panels.get(key);
  }

  /** The open panel showing this message, if any. */
  panelFor(node: MessageNode): MessagePanel | undefined {
    return this.panels.get(node.id);
  }

  get openPanelCount(): number {
    return this.panels.size;
  }

  override dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    super.dispose();
  }
}

export class MessagePanel extends MailPage<ToWebview> {
  protected readonly panel: vscode.WebviewPanel;
  private loaded: MessageViewModel | undefined;
  /** The sanitized HTML body, kept to rebuild the frame when remote content is allowed. Never the raw source. */
  private body: SanitizedBody | undefined;
  private loading: Promise<void> | undefined;
  private readonly renderWaiters: Array<(report: RenderedReport) => void> = [];
  /** Why the last load failed (cleared by a successful one); the page shows it once ready. */
  private failure: ToWebview | undefined;
  readonly onDidDispose: vscode.Event<void>;
  private readonly _onDidBecomeActive = this._register(new vscode.EventEmitter<void>());
  readonly onDidBecomeActive = this._onDidBecomeActive.event;

  constructor(
    readonly key: string,
    readonly node: MessageNode,
    protected readonly extensionUri: vscode.Uri,
    private readonly sources: MessageSourceProvider,
    private readonly log: ProtocolLog,
    private readonly reportRendered: (report: RenderedReport) => void,
    private readonly reportLink: (report: LinkReport) => void = () => undefined,
    private readonly linkActions: () => LinkActions = () => vscodeLinkActions,
    private readonly invitations: () => InvitationCards | undefined = () => undefined,
    private readonly cache: RenderCache = new RenderCache(),
  ) {
    super();
    const mediaRoot = vscode.Uri.joinPath(extensionUri, 'media');
    const distRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
    this.panel = vscode.window.createWebviewPanel('mailroom.message', title(node.item.subject), vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      enableFindWidget: true,
      localResourceRoots: [vscode.Uri.joinPath(mediaRoot, 'message'), vscode.Uri.joinPath(mediaRoot, 'icons'), distRoot],
    });
    this.panel.iconPath = vscode.Uri.joinPath(mediaRoot, 'icons', 'mail.svg');
    this.onDidDispose = this.panel.onDidDispose;
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(
      this.panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) this._onDidBecomeActive.fire();
      }),
    );
    this._register(this.panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(parseFromWebview(raw))));
    // An allowed sender's page gets the remote-content policy from the start (the tree already knows From).
    this.shellRemote = isAllowedSender(node.item.from?.address ?? '');
    const cached = this.cache.get(this.cacheKey());
    if (cached && !this.needsRemotePage(cached)) {
      // Opened before: the page draws the message from its first paint, with no round trip.
      this.show(cached);
      this.panel.webview.html = this.html();
      this.sources.shown?.(this.node);
      if (cached.calendar) void this.refreshInvitation(cached).catch((err: unknown) => this.log.warn(`invitation of ${node.id} not redrawn: ${String(err)}`));
      return;
    }
    this.panel.webview.html = this.html();
    // Fetch and parse while the webview boots: the two take about as long, and the result waits for 'ready'.
    this.loading = this.load().finally(() => (this.loading = undefined));
  }

  get active(): boolean {
    return !this.isDisposed && this.panel.active;
  }

  /** The view model shown (undefined until loaded): subject, attachments, patch flags. */
  get model(): MessageViewModel | undefined {
    return this.loaded;
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** Resolves with the next report of the webview having drawn (rejects after timeoutMs or on dispose). */
  nextRender(timeoutMs = 30_000): Promise<RenderedReport> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new MailError('Timeout', vscode.l10n.t('The message view did not finish drawing.'), { localized: true })), timeoutMs);
      const sub = this.onDidDispose(() => {
        clearTimeout(timer);
        reject(new MailError('Unknown', vscode.l10n.t('The message view was closed.'), { localized: true }));
      });
      this.renderWaiters.push((report) => {
        clearTimeout(timer);
        sub.dispose();
        resolve(report);
      });
    });
  }

  /** Shows the message again with remote images, styles and fonts allowed (a new CSP, so a new page). */
  async loadRemoteContent(): Promise<RenderedReport | undefined> {
    if (this.loading) await this.loading;
    if (!this.loaded || this.isDisposed) return undefined;
    if (this.loaded.remoteAllowed && this.shellRemote) return undefined;
    this.loaded = withRemoteAllowed(this.loaded, this.body, true);
    const rendered = this.nextRender();
    this.setHtml(true);
    return rendered;
  }

  /**
   * The allowed senders changed (here, in another window or in settings.json): a message from a
   * sender now allowed is shown again with its remote content, as Load Remote Content would.
   */
  followAllowedSenders(): void {
    if (this.isDisposed || !this.loaded || this.loaded.remoteAllowed || !this.body || !isAllowedSender(this.loaded.fromAddress)) return;
    void this.loadRemoteContent().catch((err: unknown) => this.log.warn(`remote content of ${this.node.id} not loaded: ${String(err)}`));
  }

  /** Redraws the invitation card (after an answer) without loading the message again. */
  showInvitation(view: InvitationView): void {
    if (!this.loaded || this.isDisposed) return;
    this.loaded = { ...this.loaded, invitation: view };
    const cached = this.cache.get(this.cacheKey());
    if (cached) cached.invitation = view;
    this.post({ type: 'show', message: this.loaded });
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
        // A page with an initial state has drawn it already; it ignores this repeat of it (and draws
        // it now if its own copy could not be read).
        this.pageReady = true;
        void this.showMessage(false);
        break;
      case 'retry':
        void this.showMessage(true);
        break;
      case 'rendered': {
        const report: RenderedReport = {
          panelKey: this.key,
          subject: message.subject,
          textLength: message.textLength,
          mode: message.mode,
          remoteBlocked: this.loaded?.remoteBlocked ?? 0,
          remoteAllowed: (this.loaded?.remoteAllowed ?? false) && this.shellRemote,
        };
        this.reportRendered(report);
        for (const waiter of this.renderWaiters.splice(0)) waiter(report);
        break;
      }
      case 'openLink':
        void openMessageLink(message, this.log, this.linkActions(), (decision) => this.reportLink({ panelKey: this.key, href: message.href, decision: decision.kind, detail: decision })).catch((err: unknown) =>
          this.log.error(`opening a link failed: ${String(err)}`),
        );
        break;
      case 'attachment':
        void vscode.commands.executeCommand(message.action === 'save' ? 'mailroom.saveAttachment' : 'mailroom.openAttachment', this.node, message.index);
        break;
      case 'action':
        void vscode.commands.executeCommand(ACTION_COMMANDS[message.action], this.node);
        break;
      case 'invitation':
        void vscode.commands.executeCommand('mailroom.answerInvitation', this.node, message.answer, message.comment);
        break;
    }
  }

  private async showMessage(forceReload: boolean): Promise<void> {
    const outcome = this.outcome();
    if (outcome && !forceReload && !this.loading) {
      this.post(outcome);
      return;
    }
    this.post({ type: 'loading', subject: displayText(this.node.item.subject) });
    if (forceReload) this.cache.delete(this.cacheKey());
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    await this.loading;
  }

  private async load(): Promise<void> {
    try {
      // Parsed and sanitized before (the render cache), or now: the source is parsed as a stream
      // and dropped, the panel keeps the view model only. The invitation card is derived each time.
      const rendered = this.cache.get(this.cacheKey()) ?? (await this.render());
      await this.deriveInvitation(rendered);
      const remoteAllowed = this.show(rendered);
      if (remoteAllowed && !this.shellRemote) this.setHtml(true); // the new page asks for the message again
      else this.post({ type: 'show', message: this.loaded! });
      this.sources.shown?.(this.node);
    } catch (err) {
      const error = MailError.is(err) ? err : new MailError('Unknown', vscode.l10n.t('The message could not be shown: {0}', err instanceof Error ? err.message : String(err)), { localized: true });
      this.log.error(`opening message ${this.node.id} failed: ${error.message} ${error.detail ?? ''}`);
      this.failure = { type: 'error', message: localizedErrorMessage(error), canRetry: error.code !== 'MessageNotFound' };
      this.post(this.failure);
    }
  }

  /** Takes a parsed message as the one shown; returns whether its remote content is allowed. */
  private show({ model: parsedModel, body, fromAddress, invitation }: RenderedMessage): boolean {
    this.body = body;
    const remoteAllowed = this.shellRemote || (body !== undefined && isAllowedSender(fromAddress));
    const model = invitation ? { ...parsedModel, invitation } : parsedModel;
    this.loaded = remoteAllowed ? withRemoteAllowed(model, body, true) : model;
    this.failure = undefined;
    return remoteAllowed;
  }

  /**
   * The invitation card of a message with a calendar part, derived again on every load (the answer
   * and the calendar may have changed since) and kept with the cached render for the next first
   * paint. A calendar part that cannot be read gets a card saying so; the message is shown all the same.
   */
  private async deriveInvitation(rendered: RenderedMessage): Promise<void> {
    const cards = rendered.calendar ? this.invitations() : undefined;
    if (!cards || !rendered.calendar) return;
    rendered.invitation = await cards.view(this.node, rendered.calendar).catch((err: unknown) => {
      this.log.warn(`invitation of ${this.node.id} not shown: ${String(err)}`);
      return invitationProblemView(MailError.is(err) ? err.message : 'This invitation cannot be shown.');
    });
  }

  /** A message drawn from the render cache at first paint: its invitation card is derived again, then redrawn. */
  private async refreshInvitation(rendered: RenderedMessage): Promise<void> {
    await this.deriveInvitation(rendered);
    if (!rendered.invitation || !this.loaded || this.isDisposed) return;
    this.loaded = { ...this.loaded, invitation: rendered.invitation };
    this.post({ type: 'show', message: this.loaded });
  }

  /** Whether showing this message needs a page whose policy allows remote content, which this one lacks. */
  private needsRemotePage({ body, fromAddress }: RenderedMessage): boolean {
    return !this.shellRemote && body !== undefined && isAllowedSender(fromAddress);
  }

  /** Reads, parses and sanitizes the message (remote content blocked in the model) and keeps the result in the render cache. */
  private async render(): Promise<RenderedMessage> {
    const rendered = await renderMessage(this.node, this.sources);
    this.cache.set(this.cacheKey(), rendered);
    return rendered;
  }

  /** The message (its id never names other bytes) as shown from this account under its current name. */
  private cacheKey(): string {
    return `${this.node.id}\n${accountLabel(this.node.account)}`;
  }

  /** What the page should show: the message, or why it could not be loaded; undefined while the first load runs. */
  private outcome(): ToWebview | undefined {
    return this.failure ?? (this.loaded ? { type: 'show', message: this.loaded } : undefined);
  }

  /** A new page; it carries what to show when that is known already (a message from the render cache). */
  protected html(): string {
    // Only a page with remote content blocked draws its message at first paint: a page that loads
    // remote content drew it twice (the in-host stalled-image link test clicked a detached frame),
    // so that page asks for the message on 'ready' as before.
    const initialState = this.shellRemote ? undefined : this.outcome();
    return this.shellPage({
      script: 'message.js',
      style: ['message', 'message.css'],
      title: vscode.l10n.t('Message'),
      // The shell's policy already allows inline styles (the message's own); the script keeps its nonce.
      inline: true,
      ...(initialState ? { initialState } : {}),
    });
  }
}

/** The tab title: the subject with its controls shown (a bidi override would reorder the tab), cut to 60 characters. */
function title(subject: string): string {
  const text = displayText(subject).trim() || vscode.l10n.t('(no subject)');
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

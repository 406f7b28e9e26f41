import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AccountConfig } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import type { MailAddress } from '../../protocol/mime/types';
import type { BuiltMessage } from '../../protocol/smtp/buildMessage';
import type { DeliveryOutcome } from '../../protocol/smtp/deliver';
import { displayText } from '../../shared/displayText';
import type { ComposeMeta, ComposeMode, ComposeStore } from '../../store/composeStore';
import type { Outbox, OutboxEntry } from '../../store/outbox';
import { loadEngine } from '../../loadEngine';
import { Disposable } from '../../util/dispose';
import type { AccountRepository } from '../accounts';
import { localizedErrorMessage } from '../errorText';
import { reportError } from '../errors';
import type { ImapAccountRegistry } from '../imapAccounts';
import type { Pop3AccountRegistry } from '../pop3Accounts';
import { mailroomSettings } from '../settings';
import type { MailNode, MessageNode, OutboxEntryNode } from '../tree/nodes';
import type { MailTreeModel } from '../tree/treeModel';
import { AddressCompletionProvider } from './addressCompletion';
import { ComposeEditors } from './composeEditors';
import { setIdentityPassword } from './identityCommands';
import { pickTemplate, reportTemplateProblems, startFromTemplate, TemplateArgs, TemplateCompletionProvider, TemplateStart } from './templates';
import { assertCanSend, deliverEntry, enqueue, prepareMessage, saveDraft, SendingDeps } from './sending';
import { startFromMessage, startNewMessage } from './startCompose';
import { accountForNewMessage, ActiveMessageLookup, targetMessage } from './targets';

export interface ComposeDeps {
  /** `context.globalStorageUri.fsPath`: compose sessions in `compose/`, the outbox in `outbox/`. */
  storageDir: string;
  repository: AccountRepository;
  imap: ImapAccountRegistry;
  pop3: Pop3AccountRegistry;
  /** Message bytes (MessageSources). */
  sources: { load(node: MessageNode): Promise<Buffer> };
  /** MessagePanelManager. */
  panels: ActiveMessageLookup;
  model: MailTreeModel;
  treeView: vscode.TreeView<MailNode>;
  log: ProtocolLog;
}

export interface DeliveryReport {
  outboxId: string;
  composeId?: string;
  subject: string;
  outcome: DeliveryOutcome;
}

/** `mailroom.compose` argument (mailto: links pass `to: 'mailto:…'`). */
export interface ComposeArgs {
  to?: string;
  accountId?: string;
}

/**
 * Compose, reply, reply all, forward in editor tabs; Send through the outbox; drafts; the outbox
 * node's Retry / Edit / Delete. What `registerComposeCommands` returns (and the API exposes for tests).
 */
export class ComposeFeature extends Disposable {
  private outboxValue: Outbox | undefined;
  private storePromise: Promise<ComposeStore> | undefined;
  private started: Promise<void> | undefined;
  private editorsValue: ComposeEditors | undefined;
  private completion: AddressCompletionProvider | undefined;
  /** Sessions between Send and the outbox. */
  private readonly preparing = new Set<string>();
  private readonly _onDidDeliver = this._register(new vscode.EventEmitter<DeliveryReport>());
  /** Fires after each delivery attempt (sent, partial or failed). */
  readonly onDidDeliver = this._onDidDeliver.event;
  private readonly _onDidOpen = this._register(new vscode.EventEmitter<{ meta: ComposeMeta; editor: vscode.TextEditor }>());
  /** Fires when a compose tab has been opened for a session. */
  readonly onDidOpen = this._onDidOpen.event;

  private readonly _onDidChangeOutbox = this._register(new vscode.EventEmitter<void>());

  constructor(private readonly deps: ComposeDeps) {
    super();
    // The tree lists the outbox when it shows its roots; the outbox itself (engine bundle) is made then.
    this._register(deps.model.attachOutbox({ list: () => this.outbox.list(), onDidChange: this._onDidChangeOutbox.event }));
    this._register({ dispose: () => this.outboxValue?.dispose() });
  }

  /** The durable outbox (src/store/outbox.ts), made on first use. */
  get outbox(): Outbox {
    if (!this.outboxValue) {
      this.outboxValue = new (loadEngine().Outbox)(path.join(this.deps.storageDir, 'outbox'));
      this._register(this.outboxValue.onDidChange(() => this._onDidChangeOutbox.fire()));
    }
    return this.outboxValue;
  }

  /** The compose store (sessions on disk), once its folder exists. */
  store(): Promise<ComposeStore> {
    if (!this.storePromise) {
      this.storePromise = loadEngine().ComposeStore.open(this.composeDir(), this.deps.log);
      this.storePromise.catch((err: unknown) => this.deps.log.error(`compose folder unavailable: ${MailError.from(err).message}`));
    }
    return this.storePromise;
  }

  /** Editor-side machinery, created on first use (after the store is ready). */
  async editors(): Promise<ComposeEditors> {
    const store = await this.store();
    if (!this.editorsValue) {
      this.editorsValue = this._register(new ComposeEditors(store, this.deps.log));
      this._register(this.editorsValue.onDidCloseUnsent(({ meta, text }) => void this.offerDraft(meta, text)));
    }
    return this.editorsValue;
  }

  /**
   * Compose wakes up (and loads the engine) only when there is compose work: a compose file open or
   * opening (a restored tab, a command), or sessions left on disk, looked at once restored tabs have
   * reopened. Activation itself reads nothing and loads nothing.
   */
  startWhenNeeded(): void {
    const isCompose = (doc: vscode.TextDocument): boolean => doc.uri.scheme === 'file' && doc.uri.fsPath.startsWith(this.composeDir() + path.sep);
    const start = (): void => void this.start().catch((err: unknown) => this.deps.log.error(`compose: ${MailError.from(err).message}`));
    if (vscode.workspace.textDocuments.some(isCompose)) {
      start();
    } else {
      const opened = this._register(
        vscode.workspace.onDidOpenTextDocument((doc) => {
          if (!isCompose(doc)) return;
          opened.dispose();
          start();
        }),
      );
    }
    const timer = setTimeout(
      () =>
        void hasEntries(this.composeDir())
          .then(async (any) => {
            if (!any || this.isDisposed) return;
            await this.start();
            await this.tidySessions();
          })
          .catch((err: unknown) => this.deps.log.warn(`compose: ${String(err)}`)),
      TIDY_DELAY_MS,
    );
    this._register({ dispose: () => clearTimeout(timer) });
  }

  /** Registers the completion provider and the editors' listeners; once. */
  start(): Promise<void> {
    this.started ??= this.startOnce();
    return this.started;
  }

  private async startOnce(): Promise<void> {
    const store = await this.store();
    (await this.editors()).adoptOpenDocuments();
    this.completion = this._register(
      AddressCompletionProvider.register({
        store,
        imap: this.deps.imap,
        log: this.deps.log,
        accountOf: (document) => this.accountOfDocument(store, document),
        sentFolder: (account) => (account.protocol === 'imap' ? this.deps.imap.get(account).specialFolder('\\Sent') : Promise.resolve(undefined)),
      }),
    );
    this._register(TemplateCompletionProvider.register({ storageDir: this.deps.storageDir, log: this.deps.log, accountOf: (document) => this.accountOfDocument(store, document) }));
  }

  private composeDir(): string {
    return path.join(this.deps.storageDir, 'compose');
  }

  /**
   * Sessions left on disk: sent ones whose outbox entry is gone are removed; unsent ones that no
   * tab shows are offered for reopening (never deleted without the user).
   */
  async tidySessions(): Promise<ComposeMeta[]> {
    const store = await this.store();
    const editors = await this.editors();
    const inOutbox = new Set((await this.outbox.list()).map((e) => e.id));
    const unsent: ComposeMeta[] = [];
    for (const meta of await store.list()) {
      if (meta.sent) {
        if (!meta.outboxId || !inOutbox.has(meta.outboxId)) await store.remove(meta.id);
      } else if (!editors.isOpenInTab(meta)) unsent.push(meta);
    }
    if (unsent.length && !this.isDisposed) {
      void vscode.window
        .showInformationMessage(
          unsent.length === 1
            ? vscode.l10n.t('A message you were writing is saved on this computer but not sent.')
            : vscode.l10n.t('{0} messages you were writing are saved on this computer but not sent.', unsent.length),
          REOPEN(),
        )
        .then(async (choice) => {
          if (choice === REOPEN()) for (const meta of unsent) await this.show(meta, 'body');
        });
    }
    return unsent;
  }

  /** Each command returns its result for tests (compose → ComposeMeta, send → DeliveryReport); errors are reported, not thrown. */
  registerCommands(): void {
    const register = (id: string, context: string, work: (...args: unknown[]) => Promise<unknown>): void => {
      this._register(
        vscode.commands.registerCommand(id, async (...args: unknown[]) => {
          try {
            return await work(...args);
          } catch (err) {
            await reportError(this.deps.log, context, err);
            return undefined;
          }
        }),
      );
    };
    const uriArg = (arg: unknown): vscode.Uri | undefined => (arg instanceof vscode.Uri ? arg : undefined);
    register('mailroom.compose', vscode.l10n.t('New message'), (arg) => this.compose(arg as ComposeArgs | MailNode | undefined));
    register('mailroom.reply', vscode.l10n.t('Reply'), (arg) => this.respond('reply', arg));
    register('mailroom.replyAll', vscode.l10n.t('Reply all'), (arg) => this.respond('replyAll', arg));
    register('mailroom.forward', vscode.l10n.t('Forward'), (arg) => this.respond('forward', arg));
    register('mailroom.forwardAsAttachment', vscode.l10n.t('Forward as attachment'), (arg) => this.respond('forwardAsAttachment', arg));
    register('mailroom.send', vscode.l10n.t('Sending'), (arg) => this.send(uriArg(arg)));
    register('mailroom.saveDraft', vscode.l10n.t('Saving the draft'), (arg) => this.saveDraftCommand(uriArg(arg)));
    register('mailroom.attachFile', vscode.l10n.t('Attaching a file'), (arg, files) =>
      this.attachFile(uriArg(arg), Array.isArray(files) && files.every((f) => f instanceof vscode.Uri) ? (files as vscode.Uri[]) : undefined),
    );
    register('mailroom.retrySend', vscode.l10n.t('Retrying'), (arg) => this.retry(arg));
    register('mailroom.editOutboxMessage', vscode.l10n.t('Editing the message'), (arg) => this.editOutboxEntry(arg));
    register('mailroom.deleteOutboxMessage', vscode.l10n.t('Deleting the message'), (arg) => this.deleteOutboxEntry(arg));
    register('mailroom.newMessageFromTemplate', vscode.l10n.t('New message from template'), (arg) => this.composeFromTemplate(typeof arg === 'object' && arg !== null ? (arg as TemplateArgs) : {}));
    register('mailroom.setIdentityPassword', vscode.l10n.t('Storing the identity’s SMTP password'), (arg) => setIdentityPassword(this.deps.repository, arg));
  }

  // ---- commands ------------------------------------------------------------------------------

  async compose(arg?: ComposeArgs | MailNode): Promise<ComposeMeta | undefined> {
    const args: ComposeArgs = isComposeArgs(arg) ? arg : {};
    const account = await accountForNewMessage(this.deps.repository, this.deps.treeView, args.accountId ?? accountIdOfNode(arg));
    if (!account) return undefined;
    const store = await this.store();
    const meta = await startNewMessage(store, account, args.to ? loadEngine().parseMailto(args.to) : {});
    await this.show(meta, 'to');
    return meta;
  }

  /** A new message from a template: Quick Pick (or `template`), the account, then placeholders filled in. */
  async composeFromTemplate(args: TemplateArgs = {}): Promise<TemplateStart | undefined> {
    // The selection of the editor the user came from, before any picker takes the focus.
    const editor = vscode.window.activeTextEditor;
    const selection = args.selection ?? (editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : undefined);
    const file = await pickTemplate({ storageDir: this.deps.storageDir, log: this.deps.log }, args.template);
    if (!file) return undefined;
    const account = await accountForNewMessage(this.deps.repository, this.deps.treeView, args.accountId);
    if (!account) return undefined;
    const started = await startFromTemplate(await this.store(), account, file, args, selection);
    await this.show(started.meta, started.cursor ?? 'body');
    reportTemplateProblems(this.deps.log, file, started.expanded);
    return started;
  }

  async respond(mode: Exclude<ComposeMode, 'new'>, arg?: unknown): Promise<ComposeMeta | undefined> {
    const node = targetMessage(arg, this.deps.panels, this.deps.treeView);
    if (!node) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Select one message in the Mail view, or open it, then run {0} again.', MODE_TITLES()[mode]));
      return undefined;
    }
    const account = this.deps.repository.get(node.account.id) ?? node.account;
    const store = await this.store();
    const meta = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: MODE_PROGRESS()[mode] }, async () => {
      const source = await this.deps.sources.load(node);
      return startFromMessage(store, account, node, source, mode, { signaturePlacement: mailroomSettings().signaturePlacement });
    });
    await this.show(meta, mode === 'reply' || mode === 'replyAll' ? 'body' : 'to');
    return meta;
  }

  /** Sends the compose document in the active editor (or the given one). */
  async send(uri?: vscode.Uri): Promise<DeliveryReport | undefined> {
    const found = await this.activeSession(uri);
    if (!found) return undefined;
    const { document, meta, account, store } = found;
    // Ctrl+Enter pressed twice, or Send while the first is still being prepared: one message.
    if (meta.sent || this.preparing.has(meta.id)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('This message is already in the outbox.'));
      return undefined;
    }
    this.preparing.add(meta.id);
    let entry: OutboxEntry;
    try {
      const editors = await this.editors();
      const text = await editors.flush(document);
      const ready = await prepareMessage(store, meta, account, text, 'send');
      assertCanSend(account, ready.identity);
      if (!ready.parsed.subject.trim()) {
        const sendLabel = vscode.l10n.t('Send');
        const choice = await vscode.window.showWarningMessage(vscode.l10n.t('This message has no subject. Send it anyway?'), { modal: true }, sendLabel);
        if (choice !== sendLabel) return undefined;
      }
      entry = await enqueue(this.sendingDeps(store), meta, ready);
      this.completion?.invalidate(account.id);
      await editors.closeQuietly(meta);
    } finally {
      this.preparing.delete(meta.id);
    }
    return this.deliverWithProgress(entry, account);
  }

  /**
   * Sends a message built elsewhere (an invitation's answer) the way Send does: outbox first, then
   * delivery with the Sent copy, the progress notification and the same failure handling.
   */
  async sendBuilt(account: AccountConfig, built: BuiltMessage, subject: string, recipients: MailAddress[]): Promise<DeliveryReport> {
    assertCanSend(account);
    const entry = await this.outbox.add({ accountId: account.id, subject, recipients: recipients.map(loadEngine().formatAddress), envelope: built.envelope }, built);
    return this.deliverWithProgress(entry, account);
  }

  async saveDraftCommand(uri?: vscode.Uri): Promise<void> {
    const found = await this.activeSession(uri);
    if (!found) return;
    const { document, meta, account, store } = found;
    const text = await (await this.editors()).flush(document);
    await this.saveDraftText(store, meta, account, text);
  }

  async attachFile(uri?: vscode.Uri, files?: vscode.Uri[]): Promise<string[]> {
    const found = await this.activeSession(uri);
    if (!found) return [];
    const { document, meta, store } = found;
    const picked = files ?? (await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: vscode.l10n.t('Attach'), title: vscode.l10n.t('Attach Files') }));
    if (!picked?.length) return [];
    const names: string[] = [];
    for (const file of picked) names.push((await store.attachFile(meta.id, file.fsPath)).name);
    // New Attach: lines go at the end of the header block (before the empty line).
    const parsed = loadEngine().parseComposeDocument(document.getText());
    const line = Math.max(0, parsed.bodyLine - 1);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(document.uri, new vscode.Position(line, 0), names.map((n) => `Attach: ${n}\n`).join(''));
    await vscode.workspace.applyEdit(edit);
    await (await this.editors()).flush(document);
    return names;
  }

  async retry(arg?: unknown): Promise<DeliveryReport | undefined> {
    const entry = await this.outboxEntry(arg);
    if (!entry) return undefined;
    if (entry.state === 'sending') {
      void vscode.window.showInformationMessage(vscode.l10n.t('“{0}” is being sent now.', shownSubject(entry.subject)));
      return undefined;
    }
    const account = this.deps.repository.get(entry.accountId);
    if (!account) throw new MailError('InvalidAccount', vscode.l10n.t('The account of “{0}” no longer exists. Edit the message to send it from another account, or delete it.', shownSubject(entry.subject)), { localized: true });
    return this.deliverWithProgress(entry, account);
  }

  /** Reopens an unsent outbox message in a compose tab and takes it out of the outbox. */
  async editOutboxEntry(arg?: unknown): Promise<ComposeMeta | undefined> {
    const entry = await this.outboxEntry(arg);
    if (!entry) return undefined;
    if (entry.state === 'sending' || entry.state === 'sent') {
      void vscode.window.showInformationMessage(
        entry.state === 'sending'
          ? vscode.l10n.t('“{0}” is being sent now.', shownSubject(entry.subject))
          : vscode.l10n.t('“{0}” was already sent; only its follow-up steps are left. Use Retry.', shownSubject(entry.subject)),
      );
      return undefined;
    }
    const store = await this.store();
    let meta = entry.composeId ? await store.get(entry.composeId).catch(() => undefined) : undefined;
    if (meta) meta = await store.update(meta.id, { sent: false, outboxId: undefined });
    else meta = await this.sessionFromOutbox(store, entry);
    // The session holds everything now; only then does the outbox let go of it.
    await this.outbox.remove(entry.id);
    await this.show(meta, 'to');
    return meta;
  }

  async deleteOutboxEntry(arg?: unknown, confirmed = false): Promise<boolean> {
    const entry = await this.outboxEntry(arg);
    if (!entry) return false;
    if (entry.state === 'sending') {
      void vscode.window.showInformationMessage(vscode.l10n.t('“{0}” is being sent now.', shownSubject(entry.subject)));
      return false;
    }
    if (!confirmed) {
      const what = entry.state === 'sent' ? vscode.l10n.t('It was sent; its Sent copy or flag may be missing.') : vscode.l10n.t('It has not been sent and will be lost.');
      const deleteLabel = vscode.l10n.t('Delete');
      const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Delete “{0}” from the outbox?', shownSubject(entry.subject)), { modal: true, detail: what }, deleteLabel);
      if (choice !== deleteLabel) return false;
    }
    await this.outbox.remove(entry.id);
    if (entry.composeId) await (await this.store()).remove(entry.composeId);
    return true;
  }

  // ---- internals -------------------------------------------------------------------------------

  private async accountOfDocument(store: ComposeStore, document: vscode.TextDocument): Promise<AccountConfig | undefined> {
    const id = store.sessionIdOf(document.uri.fsPath);
    const meta = id ? await store.get(id).catch(() => undefined) : undefined;
    return meta ? this.deps.repository.get(meta.accountId) : undefined;
  }

  private async show(meta: ComposeMeta, cursor: 'body' | 'to' | { line: number; character: number }): Promise<void> {
    const editor = await (await this.editors()).open(meta, cursor);
    this._onDidOpen.fire({ meta, editor });
  }

  private sendingDeps(store: ComposeStore): SendingDeps {
    return {
      store,
      outbox: this.outbox,
      imap: this.deps.imap,
      pop3: this.deps.pop3,
      log: this.deps.log,
      credentials: (account) => this.deps.repository.credentials(account),
      identityCredentials: (account, identity) => this.deps.repository.identityCredentials(account, identity),
      timeoutMs: () => mailroomSettings().connectionTimeoutMs,
    };
  }

  private async deliverWithProgress(entry: OutboxEntry, account: AccountConfig): Promise<DeliveryReport> {
    const store = await this.store();
    const subject = entry.subject || vscode.l10n.t('(no subject)');
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Sending “{0}”…', shownSubject(entry.subject)) }, () =>
      deliverEntry(this.sendingDeps(store), entry.id, account).catch((err: unknown): DeliveryOutcome => ({ status: 'failed', error: MailError.from(err) })),
    );
    const report: DeliveryReport = { outboxId: entry.id, subject, outcome, ...(entry.composeId ? { composeId: entry.composeId } : {}) };
    if (outcome.status !== 'failed' && entry.composeId) {
      // The server has it: the local session is no longer needed (the outbox keeps what is left to do).
      await store.remove(entry.composeId).catch((err: unknown) => this.deps.log.warn(`compose session not removed: ${String(err)}`));
    }
    this._onDidDeliver.fire(report);
    void this.announce(entry, outcome);
    return report;
  }

  private async announce(entry: OutboxEntry, outcome: DeliveryOutcome): Promise<void> {
    const subject = shownSubject(entry.subject);
    let choice: string | undefined;
    if (outcome.status === 'sent') {
      if (outcome.warnings.length === 0) {
        vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) Sent “{0}”', subject), 5000);
        return;
      }
      choice = await vscode.window.showWarningMessage(vscode.l10n.t('Sent “{0}”, but: {1}', subject, outcome.warnings.join(' ')), SHOW_OUTBOX(), RETRY());
    } else if (outcome.status === 'partial') {
      const who = outcome.rejected.map((r) => `${r.address} (${r.response})`).join(', ');
      choice = await vscode.window.showWarningMessage(vscode.l10n.t('“{0}” was sent, but the server refused {1}. It stays in the outbox for those recipients.', subject, who), SHOW_OUTBOX(), RETRY());
    } else {
      const said = outcome.error.detail && !outcome.error.message.includes(outcome.error.detail) ? ` (${outcome.error.detail})` : '';
      this.deps.log.error(`sending “${subject}” failed: ${outcome.error.code} ${outcome.error.message}${said}`);
      choice = await vscode.window.showErrorMessage(vscode.l10n.t('“{0}” was not sent: {1} It is kept in the outbox.', subject, `${localizedErrorMessage(outcome.error)}${said}`), SHOW_OUTBOX(), EDIT(), RETRY());
    }
    const node = this.deps.model.outboxRoot()?.entries.find((e) => e.id === entry.id);
    const arg: Partial<OutboxEntryNode> = { kind: 'outboxEntry', id: `outbox/${entry.id}`, entry: node ?? entry };
    if (choice === SHOW_OUTBOX()) await this.revealOutbox();
    else if (choice === EDIT()) await vscode.commands.executeCommand('mailroom.editOutboxMessage', arg);
    else if (choice === RETRY()) await vscode.commands.executeCommand('mailroom.retrySend', arg);
  }

  private async revealOutbox(): Promise<void> {
    await vscode.commands.executeCommand('workbench.view.extension.mailroom').then(undefined, () => undefined);
    await this.deps.model.getChildren(undefined);
    const root = this.deps.model.outboxRoot();
    if (root) await Promise.resolve(this.deps.treeView.reveal(root, { expand: true, focus: true })).catch(() => undefined);
  }

  private async saveDraftText(store: ComposeStore, meta: ComposeMeta, account: AccountConfig, text: string): Promise<void> {
    const folder = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Mailroom: saving draft') }, () => saveDraft(this.sendingDeps(store), meta, account, text));
    await store.update(meta.id, { draftDigest: loadEngine().digest(text), draftSavedAt: new Date().toISOString() });
    vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) Draft saved to {0}', folder), 5000);
  }

  /** A compose tab closed with unsent changes: offer to keep it as a draft (non-modal). */
  private async offerDraft(meta: ComposeMeta, text: string): Promise<void> {
    const store = await this.store();
    const subject = shownSubject(loadEngine().parseComposeDocument(text).subject);
    const account = this.deps.repository.get(meta.accountId);
    const canDraft = account?.protocol === 'imap';
    const choice = await vscode.window.showInformationMessage(
      canDraft ? vscode.l10n.t('“{0}” was not sent. Save it as a draft?', subject) : vscode.l10n.t('“{0}” was not sent. Keep it on this computer?', subject),
      ...(canDraft ? [SAVE_DRAFT(), DISCARD()] : [REOPEN(), DISCARD()]),
    );
    try {
      if (choice === SAVE_DRAFT() && account) {
        await this.saveDraftText(store, meta, account, text);
        await store.remove(meta.id);
      } else if (choice === REOPEN()) {
        await this.show(meta, 'body');
      } else if (choice === DISCARD()) {
        await store.remove(meta.id);
      }
      // No answer: the session stays on disk.
    } catch (err) {
      const again = await reportError(this.deps.log, vscode.l10n.t('Saving the draft'), err, [REOPEN()]);
      if (again === REOPEN()) await this.show(meta, 'body');
    }
  }

  private async activeSession(uri?: vscode.Uri): Promise<{ document: vscode.TextDocument; meta: ComposeMeta; account: AccountConfig; store: ComposeStore } | undefined> {
    const store = await this.store();
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    const id = target?.scheme === 'file' ? store.sessionIdOf(target.fsPath) : undefined;
    if (!target || !id) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a message you are writing (Mailroom: New Message, Reply or Forward) first.'));
      return undefined;
    }
    const meta = await store.get(id);
    if (!meta) throw new MailError('StorageFailed', vscode.l10n.t('This message’s compose session is gone; copy the text into a new message.'), { localized: true });
    const account = this.deps.repository.get(meta.accountId);
    if (!account) throw new MailError('InvalidAccount', vscode.l10n.t('The account this message was written for ({0}) no longer exists.', meta.accountId), { localized: true });
    const document = await vscode.workspace.openTextDocument(target);
    return { document, meta, account, store };
  }

  private async outboxEntry(arg: unknown): Promise<OutboxEntry | undefined> {
    const id = outboxIdOf(arg);
    if (!id) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Choose a message in the Outbox of the Mail view.'));
      return undefined;
    }
    const entry = (await this.outbox.list()).find((e) => e.id === id);
    if (!entry) void vscode.window.showInformationMessage(vscode.l10n.t('That message is no longer in the outbox.'));
    return entry;
  }

  /** An outbox entry without its compose session (another window, or lost): rebuild one from its bytes. */
  private async sessionFromOutbox(store: ComposeStore, entry: OutboxEntry): Promise<ComposeMeta> {
    const { parseMessageStream, formatAddressList, serializeComposeDocument, streamAttachment } = loadEngine();
    const { sentCopy } = await this.outbox.read(entry.id);
    const parsed = await parseMessageStream(sentCopy);
    const fields = { from: formatAddressList(parsed.from), to: formatAddressList(parsed.to), cc: formatAddressList(parsed.cc), bcc: formatAddressList(parsed.bcc), subject: parsed.subject, body: parsed.text };
    const meta = await store.create({
      accountId: entry.accountId,
      mode: 'new',
      subject: parsed.subject,
      text: serializeComposeDocument(fields),
      references: parsed.references,
      ...(parsed.inReplyTo ? { inReplyTo: parsed.inReplyTo } : {}),
    });
    const names: string[] = [];
    for (const info of parsed.attachments.filter((a) => !a.related)) {
      const attached = await store.attachData(meta.id, info.filename || `attachment-${info.index + 1}`, async (sink) => void (await streamAttachment(sentCopy, info.index, sink)), info.contentType);
      names.push(attached.name);
    }
    const text = serializeComposeDocument({ ...fields, attach: names });
    await store.writeDocument(meta, text);
    return store.update(meta.id, { initialDigest: loadEngine().digest(text) });
  }
}

/** Restored editor tabs reopen their files right after activation; look after that. */
const TIDY_DELAY_MS = 3000;

const MODE_TITLES = (): Record<Exclude<ComposeMode, 'new'>, string> => ({
  reply: vscode.l10n.t('Reply'),
  replyAll: vscode.l10n.t('Reply All'),
  forward: vscode.l10n.t('Forward'),
  forwardAsAttachment: vscode.l10n.t('Forward as Attachment'),
});

const MODE_PROGRESS = (): Record<Exclude<ComposeMode, 'new'>, string> => ({
  reply: vscode.l10n.t('Mailroom: preparing reply'),
  replyAll: vscode.l10n.t('Mailroom: preparing reply all'),
  forward: vscode.l10n.t('Mailroom: preparing forward'),
  forwardAsAttachment: vscode.l10n.t('Mailroom: preparing forward as attachment'),
});

// Button labels: compared with the choice, so each is one call.
const REOPEN = (): string => vscode.l10n.t('Reopen');
const SHOW_OUTBOX = (): string => vscode.l10n.t('Show Outbox');
const RETRY = (): string => vscode.l10n.t('Retry');
const EDIT = (): string => vscode.l10n.t('Edit');
const SAVE_DRAFT = (): string => vscode.l10n.t('Save Draft');
const DISCARD = (): string => vscode.l10n.t('Discard');

function isComposeArgs(value: unknown): value is ComposeArgs {
  if (typeof value !== 'object' || value === null || 'kind' in value) return false;
  const v = value as Record<string, unknown>;
  return (v.to === undefined || typeof v.to === 'string') && (v.accountId === undefined || typeof v.accountId === 'string');
}

function accountIdOfNode(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('kind' in value)) return undefined;
  const account = (value as { account?: { id?: unknown } }).account;
  return typeof account?.id === 'string' ? account.id : undefined;
}

function outboxIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = (value as { entry?: { id?: unknown } }).entry;
  return typeof entry?.id === 'string' ? entry.id : undefined;
}

/** Registers the compose commands; `extension.ts` pushes the returned feature into subscriptions. */
export function registerComposeCommands(deps: ComposeDeps): ComposeFeature {
  const feature = new ComposeFeature(deps);
  feature.registerCommands();
  feature.startWhenNeeded();
  return feature;
}

/** Whether a folder holds anything (false when it does not exist). */
async function hasEntries(dir: string): Promise<boolean> {
  try {
    const entries = await fs.readdir(dir);
    return entries.length > 0;
  } catch {
    return false;
  }
}

/** A subject in a notification: it may quote a hostile message (`Re: …`), so its controls are shown, not obeyed. */
function shownSubject(subject: string): string {
  return displayText(subject) || vscode.l10n.t('(no subject)');
}

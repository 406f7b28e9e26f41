import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AccountConfig } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import type { MailAddress } from '../../protocol/mime/types';
import type { BuiltMessage } from '../../protocol/smtp/buildMessage';
import type { DeliveryOutcome } from '../../protocol/smtp/deliver';
import type { ComposeMeta, ComposeMode, ComposeStore } from '../../store/composeStore';
import type { Outbox, OutboxEntry } from '../../store/outbox';
import { loadEngine } from '../../loadEngine';
import { Disposable } from '../../util/dispose';
import type { AccountRepository } from '../accounts';
import { reportError } from '../errors';
import type { ImapAccountRegistry } from '../imapAccounts';
import type { Pop3AccountRegistry } from '../pop3Accounts';
import { mailroomSettings } from '../settings';
import type { MailNode, MessageNode } from '../tree/nodes';
import type { MailTreeModel } from '../tree/treeModel';
import { AddressCompletionProvider } from './addressCompletion';
import { ComposeEditors } from './composeEditors';
import { ComposeHost, ComposeSession, Cursor, REOPEN } from './composeHost';
import { attachFile, offerDraft, saveDraftCommand } from './draftCommands';
import { setIdentityPassword } from './identityCommands';
import { deleteOutboxEntry, editOutboxEntry, retryOutboxEntry } from './outboxCommands';
import { deliverWithProgress, sendBuilt, sendDocument } from './sendCommands';
import type { SendingDeps } from './sending';
import { composeFromTemplate, composeNew, respond } from './startCommands';
import type { ActiveMessageLookup } from './targets';
import { TemplateArgs, TemplateCompletionProvider, TemplateStart } from './templates';

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
export class ComposeFeature extends Disposable implements ComposeHost {
  private outboxValue: Outbox | undefined;
  private storePromise: Promise<ComposeStore> | undefined;
  private started: Promise<void> | undefined;
  private editorsValue: ComposeEditors | undefined;
  private completion: AddressCompletionProvider | undefined;
  /** Sessions between Send and the outbox. */
  readonly preparing = new Set<string>();
  private readonly _onDidDeliver = this._register(new vscode.EventEmitter<DeliveryReport>());
  /** Fires after each delivery attempt (sent, partial or failed). */
  readonly onDidDeliver = this._onDidDeliver.event;
  private readonly _onDidOpen = this._register(new vscode.EventEmitter<{ meta: ComposeMeta; editor: vscode.TextEditor }>());
  /** Fires when a compose tab has been opened for a session. */
  readonly onDidOpen = this._onDidOpen.event;

  private readonly _onDidChangeOutbox = this._register(new vscode.EventEmitter<void>());

  constructor(readonly deps: ComposeDeps) {
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
      this._register(this.editorsValue.onDidCloseUnsent(({ meta, text }) => void offerDraft(this, meta, text)));
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

  compose(arg?: ComposeArgs | MailNode): Promise<ComposeMeta | undefined> {
    return composeNew(this, arg);
  }

  /** A new message from a template: Quick Pick (or `template`), the account, then placeholders filled in. */
  composeFromTemplate(args: TemplateArgs = {}): Promise<TemplateStart | undefined> {
    return composeFromTemplate(this, args);
  }

  respond(mode: Exclude<ComposeMode, 'new'>, arg?: unknown): Promise<ComposeMeta | undefined> {
    return respond(this, mode, arg);
  }

  /** Sends the compose document in the active editor (or the given one). */
  send(uri?: vscode.Uri): Promise<DeliveryReport | undefined> {
    return sendDocument(this, uri);
  }

  /**
   * Sends a message built elsewhere (an invitation's answer) the way Send does: outbox first, then
   * delivery with the Sent copy, the progress notification and the same failure handling.
   */
  sendBuilt(account: AccountConfig, built: BuiltMessage, subject: string, recipients: MailAddress[]): Promise<DeliveryReport> {
    return sendBuilt(this, account, built, subject, recipients);
  }

  saveDraftCommand(uri?: vscode.Uri): Promise<void> {
    return saveDraftCommand(this, uri);
  }

  attachFile(uri?: vscode.Uri, files?: vscode.Uri[]): Promise<string[]> {
    return attachFile(this, uri, files);
  }

  retry(arg?: unknown): Promise<DeliveryReport | undefined> {
    return retryOutboxEntry(this, arg);
  }

  /** Reopens an unsent outbox message in a compose tab and takes it out of the outbox. */
  editOutboxEntry(arg?: unknown): Promise<ComposeMeta | undefined> {
    return editOutboxEntry(this, arg);
  }

  deleteOutboxEntry(arg?: unknown, confirmed = false): Promise<boolean> {
    return deleteOutboxEntry(this, arg, confirmed);
  }

  // ---- internals -------------------------------------------------------------------------------

  private async accountOfDocument(store: ComposeStore, document: vscode.TextDocument): Promise<AccountConfig | undefined> {
    const id = store.sessionIdOf(document.uri.fsPath);
    const meta = id ? await store.get(id).catch(() => undefined) : undefined;
    return meta ? this.deps.repository.get(meta.accountId) : undefined;
  }

  // ---- what the command modules use (ComposeHost) ---------------------------------------------

  async show(meta: ComposeMeta, cursor: Cursor): Promise<void> {
    const editor = await (await this.editors()).open(meta, cursor);
    this._onDidOpen.fire({ meta, editor });
  }

  sendingDeps(store: ComposeStore): SendingDeps {
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

  deliverWithProgress(entry: OutboxEntry, account: AccountConfig): Promise<DeliveryReport> {
    return deliverWithProgress(this, entry, account);
  }

  delivered(report: DeliveryReport): void {
    this._onDidDeliver.fire(report);
  }

  invalidateCompletion(accountId: string): void {
    this.completion?.invalidate(accountId);
  }

  async activeSession(uri?: vscode.Uri): Promise<ComposeSession | undefined> {
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
}

/** Restored editor tabs reopen their files right after activation; look after that. */
const TIDY_DELAY_MS = 3000;

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

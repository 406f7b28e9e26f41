import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import type { ComposeMeta, ComposeStore } from '../../store/composeStore';
import { loadEngine } from '../../loadEngine';
import { Disposable } from '../../util/dispose';
import { COMPOSE_LANGUAGE } from './addressCompletion';

/** Typing reaches the disk this long after the last key (the file survives a crash of the window). */
export const AUTOSAVE_DELAY_MS = 500;

export interface ClosedUnsent {
  meta: ComposeMeta;
  text: string;
}

/**
 * The editor side of compose sessions: opens a session's document in a tab, saves it on a short
 * debounce so typing is never lost, shows its problems as diagnostics, and reports a tab that was
 * closed with unsent changes (the caller offers Save Draft / Discard).
 */
export class ComposeEditors extends Disposable {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Sessions whose tabs Mailroom closes itself (after Send): no prompt. */
  private readonly quietClose = new Set<string>();
  private readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection(COMPOSE_LANGUAGE));
  private readonly _onDidCloseUnsent = this._register(new vscode.EventEmitter<ClosedUnsent>());
  readonly onDidCloseUnsent = this._onDidCloseUnsent.event;

  constructor(private readonly store: ComposeStore, private readonly log: ProtocolLog) {
    super();
    this._register(vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e.document)));
    this._register(vscode.workspace.onDidOpenTextDocument((doc) => void this.adopt(doc)));
    this._register(vscode.window.tabGroups.onDidChangeTabs((e) => void this.onTabsClosed(e.closed)));
    this._register({ dispose: () => this.timers.forEach((t) => clearTimeout(t)) });
  }

  /** The compose session of a document, if it is one. */
  sessionId(document: vscode.TextDocument | vscode.Uri): string | undefined {
    const uri = document instanceof vscode.Uri ? document : document.uri;
    return uri.scheme === 'file' ? this.store.sessionIdOf(uri.fsPath) : undefined;
  }

  uriOf(meta: ComposeMeta): vscode.Uri {
    return vscode.Uri.file(this.store.documentPath(meta));
  }

  /** Opens (or reveals) the session's document with the cursor on the body's first line, on To, or at a position. */
  async open(meta: ComposeMeta, cursor: 'body' | 'to' | { line: number; character: number }): Promise<vscode.TextEditor> {
    let document = await vscode.workspace.openTextDocument(this.uriOf(meta));
    if (document.languageId !== COMPOSE_LANGUAGE) document = await vscode.languages.setTextDocumentLanguage(document, COMPOSE_LANGUAGE);
    const editor = await vscode.window.showTextDocument(document, { preview: false, viewColumn: vscode.ViewColumn.Active });
    const text = document.getText();
    let position: vscode.Position;
    if (typeof cursor === 'object') {
      position = document.validatePosition(new vscode.Position(cursor.line, cursor.character));
    } else if (cursor === 'body') {
      position = new vscode.Position(Math.min(loadEngine().parseComposeDocument(text).bodyLine, document.lineCount - 1), 0);
    } else {
      const line = loadEngine().headerLineOf(text, 'to') ?? 0;
      position = document.lineAt(line).range.end;
    }
    editor.selection = new vscode.Selection(position, position);
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.validate(document);
    return editor;
  }

  /** Writes the editor's text to disk now (before sending or saving a draft); returns it. */
  async flush(document: vscode.TextDocument): Promise<string> {
    this.cancelTimer(document.uri);
    if (document.isDirty) await document.save();
    return document.getText();
  }

  /** The open document of a session, if any. */
  documentOf(meta: ComposeMeta): vscode.TextDocument | undefined {
    const uri = this.uriOf(meta).toString();
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
  }

  /** Closes every tab of the session without asking (the message went to the outbox). */
  async closeQuietly(meta: ComposeMeta): Promise<void> {
    const uri = this.uriOf(meta).toString();
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri);
    if (tabs.length === 0) return;
    this.quietClose.add(meta.id);
    try {
      const document = this.documentOf(meta);
      if (document?.isDirty) await document.save();
      await vscode.window.tabGroups.close(tabs, true);
    } finally {
      // The tab-closed event arrives asynchronously; keep the flag until it has been seen.
      setTimeout(() => this.quietClose.delete(meta.id), 2000);
    }
    this.diagnostics.delete(vscode.Uri.parse(uri));
  }

  isOpenInTab(meta: ComposeMeta): boolean {
    const uri = this.uriOf(meta).toString();
    return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri));
  }

  /** Gives compose files opened before these listeners existed (restored tabs) their language. */
  adoptOpenDocuments(): void {
    for (const document of vscode.workspace.textDocuments) void this.adopt(document);
  }

  private async adopt(document: vscode.TextDocument): Promise<void> {
    // A compose file reopened from history or a restored window: give it its language back.
    if (!this.sessionId(document) || document.languageId === COMPOSE_LANGUAGE) return;
    await Promise.resolve(vscode.languages.setTextDocumentLanguage(document, COMPOSE_LANGUAGE)).catch(() => undefined);
  }

  private onChange(document: vscode.TextDocument): void {
    if (!this.sessionId(document)) return;
    this.validate(document);
    if (!document.isDirty) return;
    const key = document.uri.toString();
    this.cancelTimer(document.uri);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!document.isClosed && document.isDirty) {
          void Promise.resolve(document.save()).then(
            (saved) => !saved && this.log.warn(`compose: autosave of ${document.uri.fsPath} did not happen`),
            (err: unknown) => this.log.warn(`compose: autosave failed: ${String(err)}`),
          );
        }
      }, AUTOSAVE_DELAY_MS),
    );
  }

  private validate(document: vscode.TextDocument): void {
    const text = document.getText();
    const parsed = loadEngine().parseComposeDocument(text);
    // A template's placeholder that had no value would otherwise go out as "Hi ${to.name},".
    const leftovers = loadEngine().leftoverPlaceholders(text).map((l) => ({ line: l.line, severity: 'warning' as const, message: `${l.placeholder} is a template placeholder that was not filled in; replace it before sending.` }));
    this.diagnostics.set(
      document.uri,
      [...parsed.problems, ...leftovers].map((p) => {
        const range = p.line < document.lineCount ? document.lineAt(p.line).range : new vscode.Range(0, 0, 0, 0);
        const diagnostic = new vscode.Diagnostic(range, p.message, p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        diagnostic.source = 'Mailroom';
        return diagnostic;
      }),
    );
  }

  private cancelTimer(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  private async onTabsClosed(closed: readonly vscode.Tab[]): Promise<void> {
    for (const tab of closed) {
      if (!(tab.input instanceof vscode.TabInputText)) continue;
      const uri = tab.input.uri;
      const id = this.sessionId(uri);
      if (!id || this.quietClose.has(id)) continue;
      // Still shown in another tab (split editor): not closed yet.
      if (vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString()))) continue;
      this.diagnostics.delete(uri);
      try {
        const meta = await this.store.get(id);
        if (!meta || meta.sent) continue;
        const text = await this.store.readDocument(meta);
        const now = loadEngine().digest(text);
        if (now === meta.initialDigest || now === meta.draftDigest) {
          // Nothing typed since it opened (or since the last draft): nothing to lose.
          await this.store.remove(id);
          continue;
        }
        this._onDidCloseUnsent.fire({ meta, text });
      } catch (err) {
        this.log.warn(`compose: closed tab of session ${id}: ${String(err)}`);
      }
    }
  }
}

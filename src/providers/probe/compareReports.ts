import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import type { ReportDiff } from '../../protocol/probe/diff';
import { loadEngine } from '../../loadEngine';
import { Disposable } from '../../util/dispose';
import { errorSummary, reportError } from '../errors';
import { pickReportFile, readReportsAt } from './reportUri';

export const COMPARE_SCHEME = 'mailroom-check-diff';

/** What "Mailroom: Compare Two Check Reports" resolves with (for tests and other extensions). */
export type CompareResult = { ok: true; diff: ReportDiff; document: vscode.Uri } | { ok: false; error: { code: string; message: string } };

/**
 * "Mailroom: Compare Two Check Reports": pick two files `mailroom-check --json` (or "Copy as
 * JSON") wrote, and read what changed in a read-only document, the same text `mailroom-check
 * diff` prints. A file that is not a report is refused with a sentence saying why.
 */
export class CompareReportsCommand extends Disposable {
  private readonly texts = new Map<string, string>();
  private counter = 0;
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());

  constructor(private readonly log: ProtocolLog) {
    super();
    this._register(
      vscode.workspace.registerTextDocumentContentProvider(COMPARE_SCHEME, {
        onDidChange: this.changed.event,
        provideTextDocumentContent: (uri) => this.texts.get(uri.toString()) ?? '',
      }),
    );
    this._register(vscode.commands.registerCommand('mailroom.compareCheckReports', (before?: vscode.Uri, after?: vscode.Uri) => this.compare(before, after)));
  }

  private async compare(before: vscode.Uri | undefined, after: vscode.Uri | undefined): Promise<CompareResult | undefined> {
    try {
      const first = before ?? (await pick(vscode.l10n.t('the earlier report (before)')));
      if (!first) return undefined;
      const second = after ?? (await pick(vscode.l10n.t('the later report (after)'), first));
      if (!second) return undefined;
      const [a, b] = await Promise.all([readReportsAt(first), readReportsAt(second)]);
      const diff = loadEngine().diffReports(a, b);
      const names = { before: path.basename(first.path), after: path.basename(second.path) };
      const uri = vscode.Uri.from({ scheme: COMPARE_SCHEME, path: `/${names.before} → ${names.after}.txt`, query: String(++this.counter) });
      this.texts.set(uri.toString(), loadEngine().renderDiff(diff, { before: first.fsPath || first.toString(), after: second.fsPath || second.toString() }));
      this.changed.fire(uri);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc, { preview: false });
      return { ok: true, diff, document: uri };
    } catch (err) {
      void reportError(this.log, vscode.l10n.t('Comparing check reports'), err);
      return { ok: false, error: errorSummary(err) };
    }
  }
}

function pick(which: string, near?: vscode.Uri): Promise<vscode.Uri | undefined> {
  return pickReportFile(vscode.l10n.t('Mailroom: Compare Two Check Reports — {0}', which), vscode.l10n.t('Compare'), near);
}

import * as path from 'node:path';
import * as vscode from 'vscode';
import { MailError } from '../../protocol/errors';
import { loadEngine } from '../../loadEngine';
import type { ProbeReport } from '../../shared/probeReport';

/**
 * Reads a stored check report (what `mailroom-check --json` or "Copy as JSON" wrote) through the
 * workspace file system, checked by reportFile.ts: size before reading, then schemaVersion and
 * shape. Anything else is a ReportInvalid naming the file and what it is instead.
 */
export async function readReportsAt(uri: vscode.Uri): Promise<ProbeReport[]> {
  const name = path.basename(uri.path);
  let size: number;
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.type & vscode.FileType.Directory) throw new MailError('ReportInvalid', `${name} is a folder, not a report file.`);
    size = stat.size;
  } catch (err) {
    if (MailError.is(err)) throw err;
    throw new MailError('ReportInvalid', `Cannot read ${name}: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
  }
  loadEngine().checkSize(size, name);
  const bytes = await vscode.workspace.fs.readFile(uri);
  return loadEngine().parseReportText(new TextDecoder('utf-8').decode(bytes), name);
}

/** The file picker for reports; `title` names the command (and is what a test waits for). */
export async function pickReportFile(title: string, openLabel: string, near?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    openLabel,
    canSelectMany: false,
    filters: { 'Check reports (mailroom-check --json)': ['json'], 'All files': ['*'] },
    ...(near ? { defaultUri: vscode.Uri.joinPath(near, '..') } : {}),
  });
  return picked?.[0];
}

/**
 * Drafts and attachments of a compose tab: Save Draft (to the account's Drafts folder), the offer
 * to keep a tab closed unsent, and Attach File (copied into the session, an `Attach:` line added).
 */
import * as vscode from 'vscode';
import type { AccountConfig } from '../../protocol/account';
import type { ComposeMeta, ComposeStore } from '../../store/composeStore';
import { loadEngine } from '../../loadEngine';
import { reportError } from '../errors';
import { ComposeHost, DISCARD, REOPEN, SAVE_DRAFT, shownSubject } from './composeHost';
import { saveDraft } from './sending';

export async function saveDraftCommand(host: ComposeHost, uri?: vscode.Uri): Promise<void> {
  const found = await host.activeSession(uri);
  if (!found) return;
  const { document, meta, account, store } = found;
  const text = await (await host.editors()).flush(document);
  await saveDraftText(host, store, meta, account, text);
}

export async function attachFile(host: ComposeHost, uri?: vscode.Uri, files?: vscode.Uri[]): Promise<string[]> {
  const found = await host.activeSession(uri);
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
  await (await host.editors()).flush(document);
  return names;
}

/** A compose tab closed with unsent changes: offer to keep it as a draft (non-modal). */
export async function offerDraft(host: ComposeHost, meta: ComposeMeta, text: string): Promise<void> {
  const store = await host.store();
  const subject = shownSubject(loadEngine().parseComposeDocument(text).subject);
  const account = host.deps.repository.get(meta.accountId);
  const canDraft = account?.protocol === 'imap';
  const choice = await vscode.window.showInformationMessage(
    canDraft ? vscode.l10n.t('“{0}” was not sent. Save it as a draft?', subject) : vscode.l10n.t('“{0}” was not sent. Keep it on this computer?', subject),
    ...(canDraft ? [SAVE_DRAFT(), DISCARD()] : [REOPEN(), DISCARD()]),
  );
  try {
    if (choice === SAVE_DRAFT() && account) {
      await saveDraftText(host, store, meta, account, text);
      await store.remove(meta.id);
    } else if (choice === REOPEN()) {
      await host.show(meta, 'body');
    } else if (choice === DISCARD()) {
      await store.remove(meta.id);
    }
    // No answer: the session stays on disk.
  } catch (err) {
    const again = await reportError(host.deps.log, vscode.l10n.t('Saving the draft'), err, [REOPEN()]);
    if (again === REOPEN()) await host.show(meta, 'body');
  }
}

async function saveDraftText(host: ComposeHost, store: ComposeStore, meta: ComposeMeta, account: AccountConfig, text: string): Promise<void> {
  const folder = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Mailroom: saving draft') }, () => saveDraft(host.sendingDeps(store), meta, account, text));
  await store.update(meta.id, { draftDigest: loadEngine().digest(text), draftSavedAt: new Date().toISOString() });
  vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) Draft saved to {0}', folder), 5000);
}

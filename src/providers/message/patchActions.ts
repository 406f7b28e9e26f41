import * as vscode from 'vscode';
import { MailError } from '../../protocol/errors';
import type { PatchOutcome } from '../../patch/gitAm';
import { displayText } from '../../shared/displayText';
import type { MessageSourceProvider } from '../messagePanel';
import type { MessageNode } from '../tree/nodes';
import type { AttachmentActions } from './attachmentActions';
import { loadEngine } from '../../loadEngine';

/** Where a message's patch is: its body (the message itself is the mailbox for git am) or an attachment. */
export interface FoundPatch {
  /** The diff text to show. */
  text: string;
  /** What git gets on stdin. */
  input: Buffer;
  kind: 'mailbox' | 'diff';
  subject: string;
  /** Set when the patch is an attachment. */
  attachmentIndex?: number;
}

export interface ApplyPatchOptions {
  /** The workspace folder (or any folder) to apply in; else the only workspace folder or a pick. */
  folder?: vscode.Uri;
  /** Skip the confirmation (tests, scripted use). */
  confirmed?: boolean;
}

export async function findMessagePatch(node: MessageNode, sources: MessageSourceProvider, attachments: AttachmentActions): Promise<FoundPatch> {
  const source = await sources.load(node);
  const parsed = await loadEngine().parseMessageStream(source);
  const inBody = parsed.containsPatch ? loadEngine().findPatch(parsed.text) : undefined;
  if (inBody !== undefined) return { text: inBody, input: source, kind: 'mailbox', subject: parsed.subject };
  const attachment = parsed.attachments.find((a) => a.isPatch);
  if (!attachment) throw new MailError('MessageNotFound', vscode.l10n.t('This message contains no patch.'), { localized: true });
  const bytes = await attachments.bytes(node, attachment.index);
  // A `git format-patch` file is a mailbox with its own author and subject; a bare diff is not.
  return { text: bytes.toString('utf8'), input: bytes, kind: loadEngine().isMailboxPatch(bytes) ? 'mailbox' : 'diff', subject: parsed.subject, attachmentIndex: attachment.index };
}

export async function openPatchDocument(patch: FoundPatch): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument({ language: 'diff', content: patch.text });
  await vscode.window.showTextDocument(document, { preview: false });
  return document;
}

/** Confirms, runs git am (or git apply --index for a bare diff), reports git's own words. undefined: cancelled. */
export async function applyMessagePatch(patch: FoundPatch, options: ApplyPatchOptions = {}): Promise<PatchOutcome | undefined> {
  const folder = options.folder ?? (await pickFolder());
  if (!folder) return undefined;
  if (folder.scheme !== 'file') throw new MailError('Unsupported', vscode.l10n.t('Patches can only be applied to a repository on this machine.'), { localized: true });
  const repo = await loadEngine().repositoryRoot(folder.fsPath);
  if (!repo) throw new MailError('Unsupported', vscode.l10n.t('{0} is not inside a git repository.', folder.fsPath), { localized: true });
  const how = patch.kind === 'mailbox' ? 'git am --3way' : vscode.l10n.t('git apply --index (a bare diff: the change is staged, not committed)');
  if (!options.confirmed) {
    const apply = vscode.l10n.t('Apply');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Apply “{0}” to {1}?', displayText(patch.subject) || vscode.l10n.t('(no subject)'), repo),
      { modal: true, detail: vscode.l10n.t('Runs {0} in {1}.', how, repo) },
      apply,
    );
    if (choice !== apply) return undefined;
  }
  const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Applying patch with {0}…', patch.kind === 'mailbox' ? 'git am' : 'git apply') }, () =>
    loadEngine().applyPatch({ cwd: repo, patch: patch.input, kind: patch.kind }),
  );
  if (outcome.ok) {
    void vscode.window.showInformationMessage(patch.kind === 'mailbox' ? vscode.l10n.t('Applied “{0}” with git am.', displayText(patch.subject)) : vscode.l10n.t('The diff was applied with git apply --index and staged (it had no mail headers, so nothing was committed).'));
  } else {
    void vscode.window.showErrorMessage(outcome.aborted ? vscode.l10n.t('The patch did not apply (git am --abort restored the repository).') : vscode.l10n.t('The patch did not apply.'), { modal: true, detail: outcome.output.slice(0, 4000) });
  }
  return outcome;
}

async function pickFolder(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!folders.length) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Open the repository’s folder in VS Code to apply a patch to it.'));
    return undefined;
  }
  if (folders.length === 1) return folders[0].uri;
  const picked = await vscode.window.showQuickPick(
    folders.map((f) => ({ label: f.name, description: f.uri.fsPath, uri: f.uri })),
    { placeHolder: vscode.l10n.t('Apply the patch to which repository?') },
  );
  return picked?.uri;
}

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
  if (!attachment) throw new MailError('MessageNotFound', 'This message contains no patch.');
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
  if (folder.scheme !== 'file') throw new MailError('Unsupported', 'Patches can only be applied to a repository on this machine.');
  const repo = await loadEngine().repositoryRoot(folder.fsPath);
  if (!repo) throw new MailError('Unsupported', `${folder.fsPath} is not inside a git repository.`);
  const how = patch.kind === 'mailbox' ? 'git am --3way' : 'git apply --index (a bare diff: the change is staged, not committed)';
  if (!options.confirmed) {
    const choice = await vscode.window.showWarningMessage(
      `Apply “${displayText(patch.subject) || '(no subject)'}” to ${repo}?`,
      { modal: true, detail: `Runs ${how} in ${repo}.` },
      'Apply',
    );
    if (choice !== 'Apply') return undefined;
  }
  const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Applying patch with ${patch.kind === 'mailbox' ? 'git am' : 'git apply'}…` }, () =>
    loadEngine().applyPatch({ cwd: repo, patch: patch.input, kind: patch.kind }),
  );
  if (outcome.ok) {
    void vscode.window.showInformationMessage(patch.kind === 'mailbox' ? `Applied “${displayText(patch.subject)}” with git am.` : 'The diff was applied with git apply --index and staged (it had no mail headers, so nothing was committed).');
  } else {
    void vscode.window.showErrorMessage(`The patch did not apply${outcome.aborted ? ' (git am --abort restored the repository)' : ''}.`, { modal: true, detail: outcome.output.slice(0, 4000) });
  }
  return outcome;
}

async function pickFolder(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!folders.length) {
    void vscode.window.showWarningMessage('Open the repository’s folder in VS Code to apply a patch to it.');
    return undefined;
  }
  if (folders.length === 1) return folders[0].uri;
  const picked = await vscode.window.showQuickPick(
    folders.map((f) => ({ label: f.name, description: f.uri.fsPath, uri: f.uri })),
    { placeHolder: 'Apply the patch to which repository?' },
  );
  return picked?.uri;
}

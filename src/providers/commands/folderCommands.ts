import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import { reportError } from '../errors';
import type { ImapAccountRegistry } from '../imapAccounts';
import type { AccountNode, FolderNode, MailNode } from '../tree/nodes';
import type { MailTreeModel } from '../tree/treeModel';

export interface FolderCommandDeps {
  model: MailTreeModel;
  imap: ImapAccountRegistry;
  log: ProtocolLog;
  treeView: vscode.TreeView<MailNode>;
}

/** Request arguments let tests and other extensions skip the input boxes. */
export interface FolderNameRequest {
  name?: string;
  confirmed?: boolean;
}

export function registerFolderCommands(deps: FolderCommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('mailroom.createFolder', async (node?: AccountNode | FolderNode, request?: FolderNameRequest) => {
      const target = node ?? selectedContainer(deps);
      if (!target || target.account.protocol !== 'imap') return notPicked(vscode.l10n.t('Select an IMAP account or folder in the Mail view first.'));
      const parentPath = target.kind === 'folder' ? target.folder.path : undefined;
      const name = request?.name ?? (await askName(parentPath ? vscode.l10n.t('New folder inside {0}', parentPath) : vscode.l10n.t('New top-level folder'), ''));
      if (!name) return undefined;
      return guarded(deps, vscode.l10n.t('Creating folder {0}', name), () => deps.imap.get(target.account).createFolder(parentPath, name));
    }),
    vscode.commands.registerCommand('mailroom.renameFolder', async (node?: FolderNode, request?: FolderNameRequest) => {
      const folder = node ?? selectedFolder(deps);
      if (!folder) return notPicked();
      const name = request?.name ?? (await askName(vscode.l10n.t('Rename {0}', folder.folder.path), folder.folder.name));
      if (!name || name === folder.folder.name) return undefined;
      return guarded(deps, vscode.l10n.t('Renaming {0}', folder.folder.path), () => deps.imap.get(folder.account).renameFolder(folder.folder.path, name));
    }),
    vscode.commands.registerCommand('mailroom.deleteFolder', async (node?: FolderNode, request?: FolderNameRequest) => {
      const folder = node ?? selectedFolder(deps);
      if (!folder) return notPicked();
      if (!request?.confirmed) {
        const total = deps.model.counts(folder).total ?? 0;
        const deleteLabel = vscode.l10n.t('Delete Folder');
        const choice = await vscode.window.showWarningMessage(
          deleteFolderQuestion(folder.folder.path, total, folder.folder.children.length > 0),
          { modal: true, detail: vscode.l10n.t('Every device will lose this folder. This cannot be undone.') },
          deleteLabel,
        );
        if (choice !== deleteLabel) return undefined;
      }
      return guarded(deps, vscode.l10n.t('Deleting {0}', folder.folder.path), () => deps.imap.get(folder.account).deleteFolder(folder.folder.path));
    }),
    vscode.commands.registerCommand('mailroom.subscribeFolder', (node?: FolderNode) => setSubscribed(deps, node, true)),
    vscode.commands.registerCommand('mailroom.unsubscribeFolder', (node?: FolderNode) => setSubscribed(deps, node, false)),
    vscode.commands.registerCommand('mailroom.markFolderRead', async (node?: FolderNode) => {
      const folder = node ?? selectedFolder(deps);
      if (!folder) return notPicked();
      return guarded(deps, vscode.l10n.t('Marking {0} read', folder.folder.path), () => deps.imap.get(folder.account).markFolderRead(folder.folder.path));
    }),
    vscode.commands.registerCommand('mailroom.toggleUnsubscribedFolders', async () => {
      const config = vscode.workspace.getConfiguration('mailroom');
      await config.update('showUnsubscribedFolders', !config.get<boolean>('showUnsubscribedFolders', false), vscode.ConfigurationTarget.Global);
    }),
  );
}

async function setSubscribed(deps: FolderCommandDeps, node: FolderNode | undefined, subscribed: boolean): Promise<void> {
  const folder = node ?? selectedFolder(deps);
  if (!folder) return notPicked();
  await guarded(deps, subscribed ? vscode.l10n.t('Subscribing to {0}', folder.folder.path) : vscode.l10n.t('Unsubscribing from {0}', folder.folder.path), () => deps.imap.get(folder.account).setSubscribed(folder.folder.path, subscribed));
}

async function guarded<T>(deps: FolderCommandDeps, title: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await vscode.window.withProgress({ location: { viewId: 'mailroom.mailboxes' }, title }, work);
  } catch (err) {
    await reportError(deps.log, title, err);
    return undefined;
  }
}

function selectedFolder(deps: FolderCommandDeps): FolderNode | undefined {
  const node = deps.treeView.selection[0];
  return node?.kind === 'folder' ? node : undefined;
}

function selectedContainer(deps: FolderCommandDeps): AccountNode | FolderNode | undefined {
  const node = deps.treeView.selection[0];
  return node?.kind === 'folder' || node?.kind === 'account' ? node : undefined;
}

function notPicked(message = vscode.l10n.t('Select a folder in the Mail view first.')): undefined {
  void vscode.window.showInformationMessage(message);
  return undefined;
}

function deleteFolderQuestion(path: string, total: number, hasSubfolders: boolean): string {
  if (hasSubfolders) {
    if (!total) return vscode.l10n.t('Delete the folder {0}, with all its subfolders, on the server?', path);
    return total === 1
      ? vscode.l10n.t('Delete the folder {0} and its 1 message, with all its subfolders, on the server?', path)
      : vscode.l10n.t('Delete the folder {0} and its {1} messages, with all its subfolders, on the server?', path, total);
  }
  if (!total) return vscode.l10n.t('Delete the folder {0} on the server?', path);
  return total === 1
    ? vscode.l10n.t('Delete the folder {0} and its 1 message on the server?', path)
    : vscode.l10n.t('Delete the folder {0} and its {1} messages on the server?', path, total);
}

async function askName(title: string, value: string): Promise<string | undefined> {
  const name = await vscode.window.showInputBox({
    title,
    value,
    prompt: vscode.l10n.t('Folder name (any language)'),
    validateInput: (v) => (!v.trim() ? vscode.l10n.t('Enter a name.') : /[\r\n]/.test(v) || v.includes('\u0000') ? vscode.l10n.t('A folder name cannot contain line breaks.') : undefined),
  });
  return name?.trim();
}

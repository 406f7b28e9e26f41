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
      if (!target || target.account.protocol !== 'imap') return notPicked('an IMAP account or folder');
      const parentPath = target.kind === 'folder' ? target.folder.path : undefined;
      const name = request?.name ?? (await askName(parentPath ? `New folder inside ${parentPath}` : 'New top-level folder', ''));
      if (!name) return undefined;
      return guarded(deps, `Creating folder ${name}`, () => deps.imap.get(target.account).createFolder(parentPath, name));
    }),
    vscode.commands.registerCommand('mailroom.renameFolder', async (node?: FolderNode, request?: FolderNameRequest) => {
      const folder = node ?? selectedFolder(deps);
      if (!folder) return notPicked('a folder');
      const name = request?.name ?? (await askName(`Rename ${folder.folder.path}`, folder.folder.name));
      if (!name || name === folder.folder.name) return undefined;
      return guarded(deps, `Renaming ${folder.folder.path}`, () => deps.imap.get(folder.account).renameFolder(folder.folder.path, name));
    }),
    vscode.commands.registerCommand('mailroom.deleteFolder', async (node?: FolderNode, request?: FolderNameRequest) => {
      const folder = node ?? selectedFolder(deps);
      if (!folder) return notPicked('a folder');
      if (!request?.confirmed) {
        const total = deps.model.counts(folder).total;
        const choice = await vscode.window.showWarningMessage(
          `Delete the folder ${folder.folder.path}${total ? ` and its ${total} message${total === 1 ? '' : 's'}` : ''}${folder.folder.children.length ? ', with all its subfolders,' : ''} on the server?`,
          { modal: true, detail: 'Every device will lose this folder. This cannot be undone.' },
          'Delete Folder',
        );
        if (choice !== 'Delete Folder') return undefined;
      }
      return guarded(deps, `Deleting ${folder.folder.path}`, () => deps.imap.get(folder.account).deleteFolder(folder.folder.path));
    }),
    vscode.commands.registerCommand('mailroom.subscribeFolder', (node?: FolderNode) => setSubscribed(deps, node, true)),
    vscode.commands.registerCommand('mailroom.unsubscribeFolder', (node?: FolderNode) => setSubscribed(deps, node, false)),
    vscode.commands.registerCommand('mailroom.markFolderRead', async (node?: FolderNode) => {
      const folder = node ?? selectedFolder(deps);
      if (!folder) return notPicked('a folder');
      return guarded(deps, `Marking ${folder.folder.path} read`, () => deps.imap.get(folder.account).markFolderRead(folder.folder.path));
    }),
    vscode.commands.registerCommand('mailroom.toggleUnsubscribedFolders', async () => {
      const config = vscode.workspace.getConfiguration('mailroom');
      await config.update('showUnsubscribedFolders', !config.get<boolean>('showUnsubscribedFolders', false), vscode.ConfigurationTarget.Global);
    }),
  );
}

async function setSubscribed(deps: FolderCommandDeps, node: FolderNode | undefined, subscribed: boolean): Promise<void> {
  const folder = node ?? selectedFolder(deps);
  if (!folder) return notPicked('a folder');
  await guarded(deps, `${subscribed ? 'Subscribing to' : 'Unsubscribing from'} ${folder.folder.path}`, () => deps.imap.get(folder.account).setSubscribed(folder.folder.path, subscribed));
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

function notPicked(what: string): undefined {
  void vscode.window.showInformationMessage(`Select ${what} in the Mail view first.`);
  return undefined;
}

async function askName(title: string, value: string): Promise<string | undefined> {
  const name = await vscode.window.showInputBox({
    title,
    value,
    prompt: 'Folder name (any language)',
    validateInput: (v) => (!v.trim() ? 'Enter a name.' : /[\r\n]/.test(v) || v.includes('\u0000') ? 'A folder name cannot contain line breaks.' : undefined),
  });
  return name?.trim();
}

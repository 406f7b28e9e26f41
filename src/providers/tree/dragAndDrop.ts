import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import { targetMessages } from '../commands/messageCommands';
import type { MailNode } from './nodes';

/** Our own tree's MIME type: `application/vnd.code.tree.<view id lower-cased>`. */
export const MESSAGE_DRAG_MIME = 'application/vnd.code.tree.mailroom.mailboxes';

/**
 * Dragging messages or conversations onto a folder of the same account moves them (the tree has no
 * modifier keys, so copying is the context menu's "Copy to Folder…"). A conversation moves as the
 * "Move to Folder…" command moves it: its messages in the folder it is listed in, not the user's
 * replies in Sent. Folders and other nodes are not draggable.
 */
export class MailDragAndDropController implements vscode.TreeDragAndDropController<MailNode> {
  readonly dragMimeTypes = [MESSAGE_DRAG_MIME];
  readonly dropMimeTypes = [MESSAGE_DRAG_MIME];

  constructor(private readonly log: ProtocolLog) {}

  handleDrag(source: readonly MailNode[], dataTransfer: vscode.DataTransfer): void {
    const dragged = source.filter((n) => (n.kind === 'message' && n.item.location.protocol === 'imap') || n.kind === 'thread');
    if (dragged.length) dataTransfer.set(MESSAGE_DRAG_MIME, new vscode.DataTransferItem(dragged));
  }

  async handleDrop(target: MailNode | undefined, dataTransfer: vscode.DataTransfer, token: vscode.CancellationToken): Promise<void> {
    if (!target || target.kind !== 'folder' || !target.folder.selectable) return;
    const item = dataTransfer.get(MESSAGE_DRAG_MIME);
    const nodes = item?.value as MailNode[] | undefined;
    if (!Array.isArray(nodes) || token.isCancellationRequested) return;
    const groups = targetMessages(undefined, nodes, 'folder');
    if (groups.some((g) => g.account.id !== target.account.id)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Messages can be dragged only between folders of the same account.'));
    }
    const moving = groups.filter((g) => g.account.id === target.account.id && g.path !== target.folder.path);
    if (!moving.length) return;
    for (const group of moving) this.log.info(`drag and drop: moving ${group.uids.length} message(s) from ${group.path} to ${target.folder.path}`);
    // One command for the whole selection of this account: it groups by folder itself (a thread's
    // messages in the folder it is listed in) and leaves messages already in the target alone.
    const selection = nodes.filter((n) => (n.kind === 'message' || n.kind === 'thread') && n.account.id === target.account.id);
    await vscode.commands.executeCommand('mailroom.moveMessage', selection[0], selection, target.folder.path);
  }
}

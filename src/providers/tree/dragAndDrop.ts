import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import { targetMessages } from '../commands/messageCommands';
import type { MailNode } from './nodes';

/** Our own tree's MIME type: `application/vnd.code.tree.<view id lower-cased>`. */
export const MESSAGE_DRAG_MIME = 'application/vnd.code.tree.mailroom.mailboxes';

/**
 * Dragging messages onto a folder of the same account moves them (the tree has no modifier keys,
 * so copying is the context menu's "Copy to Folder…"). Folders and other nodes are not draggable.
 */
export class MailDragAndDropController implements vscode.TreeDragAndDropController<MailNode> {
  readonly dragMimeTypes = [MESSAGE_DRAG_MIME];
  readonly dropMimeTypes = [MESSAGE_DRAG_MIME];

  constructor(private readonly log: ProtocolLog) {}

  handleDrag(source: readonly MailNode[], dataTransfer: vscode.DataTransfer): void {
    const messages = source.filter((n) => n.kind === 'message' && n.item.location.protocol === 'imap');
    if (messages.length) dataTransfer.set(MESSAGE_DRAG_MIME, new vscode.DataTransferItem(messages));
  }

  async handleDrop(target: MailNode | undefined, dataTransfer: vscode.DataTransfer, token: vscode.CancellationToken): Promise<void> {
    if (!target || target.kind !== 'folder' || !target.folder.selectable) return;
    const item = dataTransfer.get(MESSAGE_DRAG_MIME);
    const nodes = item?.value as MailNode[] | undefined;
    if (!Array.isArray(nodes) || token.isCancellationRequested) return;
    for (const group of targetMessages(undefined, nodes)) {
      if (group.account.id !== target.account.id) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Messages can be dragged only between folders of the same account.'));
        continue;
      }
      if (group.path === target.folder.path) continue;
      this.log.info(`drag and drop: moving ${group.uids.length} message(s) from ${group.path} to ${target.folder.path}`);
      const selection = nodes.filter((n) => n.kind === 'message' && n.account.id === group.account.id);
      await vscode.commands.executeCommand('mailroom.moveMessage', selection[0], selection, target.folder.path);
    }
  }
}

import * as vscode from 'vscode';
import type { WriteOutcome } from '../../protocol/imap/imapAccount';
import type { ProtocolLog } from '../../protocol/log';
import { displayText } from '../../shared/displayText';
import { loadEngine } from '../../loadEngine';
import { reportError } from '../errors';
import type { ImapAccountRegistry } from '../imapAccounts';
import type { Pop3AccountRegistry } from '../pop3Accounts';
import { imapLocation, MailNode, MessageNode } from '../tree/nodes';
import type { MailTreeModel } from '../tree/treeModel';

export interface MessageCommandDeps {
  model: MailTreeModel;
  imap: ImapAccountRegistry;
  pop3: Pop3AccountRegistry;
  log: ProtocolLog;
  treeView: vscode.TreeView<MailNode>;
}

type Change = { add?: string[]; remove?: string[] };

/** Flags, move, copy and delete on the selected IMAP messages (one folder at a time). */
export function registerMessageCommands(deps: MessageCommandDeps): vscode.Disposable {
  const flagCommand = (id: string, title: string, change: Change) =>
    vscode.commands.registerCommand(id, async (node?: MailNode, selection?: MailNode[]) => {
      await setPop3Flags(deps, node, selection, change);
      await run(deps, title, node, selection, async (group) => {
        await deps.imap.get(group.account).setFlags(group.path, group.uids, change);
      }, { quietWhenEmpty: true });
    });
  return vscode.Disposable.from(
    flagCommand('mailroom.markRead', vscode.l10n.t('Marking as read'), { add: ['\\Seen'] }),
    flagCommand('mailroom.markUnread', vscode.l10n.t('Marking as unread'), { remove: ['\\Seen'] }),
    flagCommand('mailroom.flag', vscode.l10n.t('Flagging'), { add: ['\\Flagged'] }),
    flagCommand('mailroom.unflag', vscode.l10n.t('Removing the flag'), { remove: ['\\Flagged'] }),
    vscode.commands.registerCommand('mailroom.moveMessage', (node?: MailNode, selection?: MailNode[], target?: string) =>
      transfer(deps, 'move', node, selection, target),
    ),
    vscode.commands.registerCommand('mailroom.copyMessage', (node?: MailNode, selection?: MailNode[], target?: string) =>
      transfer(deps, 'copy', node, selection, target),
    ),
    vscode.commands.registerCommand('mailroom.deleteMessage', (node?: MailNode, selection?: MailNode[], options?: { confirmed?: boolean }) =>
      run(deps, vscode.l10n.t('Deleting'), node, selection, async (group) => {
        const account = deps.imap.get(group.account);
        if ((await account.deletesPermanently(group.path)) && !options?.confirmed) {
          const deleteLabel = vscode.l10n.t('Delete');
          const choice = await vscode.window.showWarningMessage(
            group.uids.length === 1
              ? vscode.l10n.t('Permanently delete this message from {0}?', group.path)
              : vscode.l10n.t('Permanently delete {0} messages from {1}?', group.uids.length, group.path),
            { modal: true, detail: vscode.l10n.t('This cannot be undone.') },
            deleteLabel,
          );
          if (choice !== deleteLabel) return;
        }
        report(deps, await account.delete(group.path, group.uids), group.path);
      }, { scope: 'folder' }),
    ),
  );
}

interface Group {
  account: MessageNode['account'];
  path: string;
  uids: number[];
}

/**
 * The messages to act on: the selection when the clicked node is part of it, else the node. A
 * conversation stands for its messages: all of them for flags; for moves and deletes (`scope`
 * 'folder') only those in the folder it is listed in, so the user's replies stay in Sent.
 */
export function targetMessages(node: MailNode | undefined, selection: readonly MailNode[] | undefined, scope: 'all' | 'folder' = 'all'): Group[] {
  const picked = pickedNodes(node, selection);
  const groups = new Map<string, Group>();
  const add = (account: MessageNode['account'], path: string, uid: number): void => {
    const key = `${account.id}\u0000${path}`;
    const group = groups.get(key) ?? { account, path, uids: [] };
    if (!group.uids.includes(uid)) group.uids.push(uid);
    groups.set(key, group);
  };
  for (const n of picked) {
    if (n.kind === 'thread') {
      for (const item of n.items) {
        if (item.location.protocol !== 'imap' || (scope === 'folder' && item.location.path !== n.parent.folder.path)) continue;
        add(n.account, item.location.path, item.location.uid);
      }
      continue;
    }
    if (n.kind !== 'message') continue;
    const loc = imapLocation(n);
    if (loc) add(n.account, loc.path, loc.uid);
  }
  return [...groups.values()];
}

/** POP3 has no server flags: read/flagged state lives in the local cache. */
async function setPop3Flags(deps: MessageCommandDeps, node: MailNode | undefined, selection: MailNode[] | undefined, change: Change): Promise<void> {
  const picked = pickedNodes(node ?? deps.treeView.selection[0], selection ?? [...deps.treeView.selection]);
  const flags: { seen?: boolean; flagged?: boolean } = {};
  for (const f of change.add ?? []) if (f === '\\Seen') flags.seen = true; else if (f === '\\Flagged') flags.flagged = true;
  for (const f of change.remove ?? []) if (f === '\\Seen') flags.seen = false; else if (f === '\\Flagged') flags.flagged = false;
  const byAccount = new Map<string, { account: MessageNode['account']; uidls: string[] }>();
  for (const n of picked) {
    if (n.kind !== 'message' || n.item.location.protocol !== 'pop3') continue;
    const entry = byAccount.get(n.account.id) ?? { account: n.account, uidls: [] };
    entry.uidls.push(n.item.location.uidl);
    byAccount.set(n.account.id, entry);
  }
  for (const { account, uidls } of byAccount.values()) {
    try {
      await deps.pop3.setFlags(account, uidls, flags);
    } catch (err) {
      await reportError(deps.log, vscode.l10n.t('Changing POP3 message state'), err);
    }
  }
}

/** The nodes a command acts on: the selection when the clicked node is part of it, else the node. */
export function pickedNodes(node: MailNode | undefined, selection: readonly MailNode[] | undefined): readonly MailNode[] {
  return node ? (selection?.some((s) => s.id === node.id) ? selection : [node]) : (selection ?? []);
}

async function run(
  deps: MessageCommandDeps,
  title: string,
  node: MailNode | undefined,
  selection: MailNode[] | undefined,
  work: (group: Group) => Promise<void>,
  options: { quietWhenEmpty?: boolean; scope?: 'all' | 'folder' } = {},
): Promise<void> {
  const groups = targetMessages(node ?? deps.treeView.selection[0], selection ?? [...deps.treeView.selection], options.scope);
  if (groups.length === 0) {
    if (options.quietWhenEmpty) return;
    void vscode.window.showInformationMessage(vscode.l10n.t('Select one or more IMAP messages in the Mail view first.'));
    return;
  }
  for (const group of groups) {
    try {
      await vscode.window.withProgress({ location: { viewId: 'mailroom.mailboxes' }, title }, () => work(group));
    } catch (err) {
      await reportError(deps.log, vscode.l10n.t('{0} in {1}', title, group.path), err);
    }
  }
}

async function transfer(deps: MessageCommandDeps, kind: 'move' | 'copy', node: MailNode | undefined, selection: MailNode[] | undefined, target: string | undefined): Promise<void> {
  await run(deps, kind === 'move' ? 'Moving' : 'Copying', node, selection, async (group) => {
    const destination = target ?? (await pickFolder(deps, group, kind));
    if (!destination || destination === group.path) return;
    const account = deps.imap.get(group.account);
    const outcome = kind === 'move' ? await account.move(group.path, group.uids, destination) : await account.copy(group.path, group.uids, destination);
    report(deps, outcome, group.path);
  }, { scope: kind === 'move' ? 'folder' : 'all' });
}

async function pickFolder(deps: MessageCommandDeps, group: Group, kind: 'move' | 'copy'): Promise<string | undefined> {
  const accountNode = deps.model.findAccount(group.account.id);
  if (!accountNode) return undefined;
  // Labelled as the tree shows them (Projects.Mailroom, not INBOX.Projects.Mailroom); the full path is what moves.
  const folders = [...loadEngine().relativeFolderPaths(await deps.model.listFolders(accountNode))].filter(([, f]) => f.selectable && f.path !== group.path);
  const pick = await vscode.window.showQuickPick(
    folders.map(([label, f]) => ({ label: displayText(label), description: f.specialUse?.slice(1) ?? '', path: f.path })),
    { title: transferTitle(kind, group.uids.length), placeHolder: vscode.l10n.t('Folder') },
  );
  return pick?.path;
}

function report(deps: MessageCommandDeps, outcome: WriteOutcome, path: string): void {
  if (!outcome.applied) {
    void vscode.window.showInformationMessage(vscode.l10n.t('The server cannot be reached: the change is saved and will be sent when the connection is back.'));
  }
  if (outcome.leftFlaggedDeleted?.length) {
    const n = outcome.leftFlaggedDeleted.length;
    deps.log.warn(`${n} original(s) in ${path} left flagged \\Deleted: the server offers neither MOVE nor UIDPLUS`);
    void vscode.window.showWarningMessage(
      n === 1
        ? vscode.l10n.t('The server supports neither MOVE nor UIDPLUS, so Mailroom copied the message and marked the original in {0} as deleted without expunging: an expunge would also remove messages other mail clients marked deleted. Expunge {0} from a client you trust when ready.', path)
        : vscode.l10n.t('The server supports neither MOVE nor UIDPLUS, so Mailroom copied {0} messages and marked the originals in {1} as deleted without expunging: an expunge would also remove messages other mail clients marked deleted. Expunge {1} from a client you trust when ready.', n, path),
    );
  }
}

function transferTitle(kind: 'move' | 'copy', count: number): string {
  if (kind === 'move') return count === 1 ? vscode.l10n.t('Move message to…') : vscode.l10n.t('Move {0} messages to…', count);
  return count === 1 ? vscode.l10n.t('Copy message to…') : vscode.l10n.t('Copy {0} messages to…', count);
}

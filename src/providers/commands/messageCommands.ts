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
    flagCommand('mailroom.markRead', 'Marking as read', { add: ['\\Seen'] }),
    flagCommand('mailroom.markUnread', 'Marking as unread', { remove: ['\\Seen'] }),
    flagCommand('mailroom.flag', 'Flagging', { add: ['\\Flagged'] }),
    flagCommand('mailroom.unflag', 'Removing the flag', { remove: ['\\Flagged'] }),
    vscode.commands.registerCommand('mailroom.moveMessage', (node?: MailNode, selection?: MailNode[], target?: string) =>
      transfer(deps, 'move', node, selection, target),
    ),
    vscode.commands.registerCommand('mailroom.copyMessage', (node?: MailNode, selection?: MailNode[], target?: string) =>
      transfer(deps, 'copy', node, selection, target),
    ),
    vscode.commands.registerCommand('mailroom.deleteMessage', (node?: MailNode, selection?: MailNode[], options?: { confirmed?: boolean }) =>
      run(deps, 'Deleting', node, selection, async (group) => {
        const account = deps.imap.get(group.account);
        if ((await account.deletesPermanently(group.path)) && !options?.confirmed) {
          const choice = await vscode.window.showWarningMessage(
            `Permanently delete ${group.uids.length === 1 ? 'this message' : `${group.uids.length} messages`} from ${group.path}?`,
            { modal: true, detail: 'This cannot be undone.' },
            'Delete',
          );
          if (choice !== 'Delete') return;
        }
        report(deps, await account.delete(group.path, group.uids), group.path);
      }),
    ),
  );
}

interface Group {
  account: MessageNode['account'];
  path: string;
  uids: number[];
}

/** The messages to act on: the selection when the clicked node is part of it, else the node. */
export function targetMessages(node: MailNode | undefined, selection: readonly MailNode[] | undefined): Group[] {
  const picked = pickedNodes(node, selection);
  const groups = new Map<string, Group>();
  for (const n of picked) {
    if (n.kind !== 'message') continue;
    const loc = imapLocation(n);
    if (!loc) continue;
    const key = `${n.account.id}\u0000${loc.path}`;
    const group = groups.get(key) ?? { account: n.account, path: loc.path, uids: [] };
    group.uids.push(loc.uid);
    groups.set(key, group);
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
      await reportError(deps.log, 'Changing POP3 message state', err);
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
  options: { quietWhenEmpty?: boolean } = {},
): Promise<void> {
  const groups = targetMessages(node ?? deps.treeView.selection[0], selection ?? [...deps.treeView.selection]);
  if (groups.length === 0) {
    if (options.quietWhenEmpty) return;
    void vscode.window.showInformationMessage('Select one or more IMAP messages in the Mail view first.');
    return;
  }
  for (const group of groups) {
    try {
      await vscode.window.withProgress({ location: { viewId: 'mailroom.mailboxes' }, title }, () => work(group));
    } catch (err) {
      await reportError(deps.log, `${title} in ${group.path}`, err);
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
  });
}

async function pickFolder(deps: MessageCommandDeps, group: Group, kind: 'move' | 'copy'): Promise<string | undefined> {
  const accountNode = deps.model.findAccount(group.account.id);
  if (!accountNode) return undefined;
  // Labelled as the tree shows them (Projects.Mailroom, not INBOX.Projects.Mailroom); the full path is what moves.
  const folders = [...loadEngine().relativeFolderPaths(await deps.model.listFolders(accountNode))].filter(([, f]) => f.selectable && f.path !== group.path);
  const pick = await vscode.window.showQuickPick(
    folders.map(([label, f]) => ({ label: displayText(label), description: f.specialUse?.slice(1) ?? '', path: f.path })),
    { title: `${kind === 'move' ? 'Move' : 'Copy'} ${group.uids.length === 1 ? 'message' : `${group.uids.length} messages`} to…`, placeHolder: 'Folder' },
  );
  return pick?.path;
}

function report(deps: MessageCommandDeps, outcome: WriteOutcome, path: string): void {
  if (!outcome.applied) {
    void vscode.window.showInformationMessage('The server cannot be reached: the change is saved and will be sent when the connection is back.');
  }
  if (outcome.leftFlaggedDeleted?.length) {
    const n = outcome.leftFlaggedDeleted.length;
    deps.log.warn(`${n} original(s) in ${path} left flagged \\Deleted: the server offers neither MOVE nor UIDPLUS`);
    void vscode.window.showWarningMessage(
      `The server supports neither MOVE nor UIDPLUS, so Mailroom copied ${n === 1 ? 'the message' : `${n} messages`} and marked the original${n === 1 ? '' : 's'} in ${path} as deleted without expunging: an expunge would also remove messages other mail clients marked deleted. Expunge ${path} from a client you trust when ready.`,
    );
  }
}

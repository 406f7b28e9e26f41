import * as vscode from 'vscode';
import { accountLabel } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import { displayText } from '../../shared/displayText';
import { loadEngine } from '../../loadEngine';
import { reportError } from '../errors';
import { pickedNodes } from './messageCommands';
import type { ImapAccountRegistry } from '../imapAccounts';
import type { Pop3AccountRegistry, Pop3CheckResult } from '../pop3Accounts';
import type { AccountNode, MailNode, MessageNode } from '../tree/nodes';
import type { MailTreeModel } from '../tree/treeModel';

export interface Pop3CommandDeps {
  model: MailTreeModel;
  imap: ImapAccountRegistry;
  pop3: Pop3AccountRegistry;
  log: ProtocolLog;
  treeView: vscode.TreeView<MailNode>;
}

/** For automation and tests: where to put the messages without asking. */
export interface ImapTarget {
  accountId: string;
  path: string;
}

export function registerPop3Commands(deps: Pop3CommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('mailroom.checkMail', async (node?: AccountNode): Promise<Pop3CheckResult[]> => {
      const results =
        node?.kind === 'account' && node.account.protocol === 'pop3'
          ? [
              await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Checking {0}', accountLabel(node.account)), cancellable: false }, (progress) =>
                deps.pop3.check(node.account, (done, total) => progress.report({ message: vscode.l10n.t('{0} of {1}', done, total), increment: total ? 100 / total : 0 })),
              ),
            ]
          : await deps.pop3.checkAll();
      for (const r of results) {
        if (r.error) await reportError(deps.log, vscode.l10n.t('Checking {0}', r.accountId), r.error);
      }
      return results;
    }),
    vscode.commands.registerCommand('mailroom.copyToImapFolder', (node?: MailNode, selection?: MailNode[], target?: ImapTarget) => transfer(deps, 'copy', node, selection, target)),
    vscode.commands.registerCommand('mailroom.moveToImapFolder', (node?: MailNode, selection?: MailNode[], target?: ImapTarget) => transfer(deps, 'move', node, selection, target)),
  );
}

function pop3Messages(node: MailNode | undefined, selection: readonly MailNode[] | undefined): MessageNode[] {
  return pickedNodes(node, selection).filter((n): n is MessageNode => n.kind === 'message' && n.item.location.protocol === 'pop3');
}

/**
 * APPENDs each POP3 message's exact bytes, with its local flags, to an IMAP folder; a move then
 * removes the local copy, and only after the APPEND succeeded.
 */
async function transfer(deps: Pop3CommandDeps, kind: 'copy' | 'move', node: MailNode | undefined, selection: MailNode[] | undefined, target: ImapTarget | undefined): Promise<number> {
  const messages = pop3Messages(node ?? deps.treeView.selection[0], selection ?? [...deps.treeView.selection]);
  if (messages.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Select one or more POP3 messages in the Mail view first.'));
    return 0;
  }
  const destination = target ?? (await pickImapFolder(deps, kind, messages.length));
  if (!destination) return 0;
  const imapAccount = deps.model.getRoots().find((a) => a.account.id === destination.accountId && a.account.protocol === 'imap')?.account;
  if (!imapAccount) {
    await reportError(deps.log, vscode.l10n.t('Copying to IMAP'), new MailError('InvalidAccount', vscode.l10n.t('There is no IMAP account "{0}".', destination.accountId), { localized: true }));
    return 0;
  }
  const imap = deps.imap.get(imapAccount);
  let done = 0;
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: kind === 'move' ? vscode.l10n.t('Moving to {0}', destination.path) : vscode.l10n.t('Copying to {0}', destination.path) }, async (progress) => {
      for (const message of messages) {
        if (message.item.location.protocol !== 'pop3') continue;
        const uidl = message.item.location.uidl;
        const bytes = await deps.pop3.source(message.account, uidl); // completes a headers-only copy first
        const flags = [...(message.item.seen ? ['\\Seen'] : []), ...(message.item.flagged ? ['\\Flagged'] : []), ...(message.item.answered ? ['\\Answered'] : [])];
        const date = message.item.date ? new Date(message.item.date) : undefined;
        await imap.append(destination.path, bytes, flags, date && !Number.isNaN(date.getTime()) ? date : undefined);
        if (kind === 'move') await deps.pop3.remove(message.account, uidl);
        done++;
        progress.report({ message: vscode.l10n.t('{0} of {1}', done, messages.length), increment: 100 / messages.length });
      }
    });
  } catch (err) {
    await reportError(deps.log, kind === 'move' ? vscode.l10n.t('Moving to {0} ({1} of {2} done)', destination.path, done, messages.length) : vscode.l10n.t('Copying to {0} ({1} of {2} done)', destination.path, done, messages.length), err);
  }
  return done;
}

async function pickImapFolder(deps: Pop3CommandDeps, kind: 'copy' | 'move', count: number): Promise<ImapTarget | undefined> {
  const accounts = deps.model.getRoots().filter((a) => a.account.protocol === 'imap');
  if (accounts.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Add an IMAP account first: POP3 messages can be copied into its folders.'));
    return undefined;
  }
  const items: Array<vscode.QuickPickItem & { target?: ImapTarget }> = [];
  for (const accountNode of accounts) {
    items.push({ label: accountLabel(accountNode.account), kind: vscode.QuickPickItemKind.Separator });
    try {
      for (const [label, f] of loadEngine().relativeFolderPaths(await deps.model.listFolders(accountNode))) {
        if (f.selectable) items.push({ label: displayText(label), description: accountLabel(accountNode.account), target: { accountId: accountNode.account.id, path: f.path } });
      }
    } catch (err) {
      deps.log.warn(`listing folders of ${accountLabel(accountNode.account)}: ${String(err)}`);
    }
  }
  const pick = await vscode.window.showQuickPick(items, { title: transferTitle(kind, count) });
  return pick?.target;
}

function transferTitle(kind: 'copy' | 'move', count: number): string {
  if (kind === 'move') return count === 1 ? vscode.l10n.t('Move message to IMAP folder…') : vscode.l10n.t('Move {0} messages to IMAP folder…', count);
  return count === 1 ? vscode.l10n.t('Copy message to IMAP folder…') : vscode.l10n.t('Copy {0} messages to IMAP folder…', count);
}

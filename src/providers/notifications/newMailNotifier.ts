/**
 * New-mail notifications (setting `mailroom.notifyNewMail`, folders chosen by
 * `mailroom.notifyFolders`). Driven by the syncs IDLE and polling start (ImapAccount.onNewMail,
 * which never fires for what a folder held at its first sync, so mail already there at start-up is
 * never announced) and by POP3 checks. Messages arriving close together in one folder become one
 * notification. Actions act on exactly the announced messages: Open, Mark as Read, Archive.
 */
import * as vscode from 'vscode';
import type { CachedEnvelope } from '../../protocol/imap/cacheContract';
import type { ImapAccount, NewMail } from '../../protocol/imap/imapAccount';
import type { ProtocolLog } from '../../protocol/log';
import { displayText } from '../../shared/displayText';
import { Disposable } from '../../util/dispose';
import { reportError } from '../errors';
import type { ImapAccountRegistry } from '../imapAccounts';
import type { MessagePanelManager } from '../messagePanel';
import { mailroomSettings } from '../settings';
import type { MailTreeModel } from '../tree/treeModel';

/** Syncs a second apart in one folder are one arrival: one notification. */
export const GROUP_WINDOW_MS = 1_500;

export interface NewMailNotifierDeps {
  imap: ImapAccountRegistry;
  model: Pick<MailTreeModel, 'messageNodeFor'>;
  panels: Pick<MessagePanelManager, 'open'>;
  log: ProtocolLog;
  /** The notification itself; vscode.window.showInformationMessage. */
  show?: (message: string, ...actions: string[]) => Thenable<string | undefined>;
}

/** The notifications' buttons, in the display language (the choice is compared with these). */
export const actions = (): Record<'open' | 'read' | 'archive' | 'show' | 'readAll', string> => ({
  open: vscode.l10n.t('Open'),
  read: vscode.l10n.t('Mark as Read'),
  archive: vscode.l10n.t('Archive'),
  show: vscode.l10n.t('Show'),
  readAll: vscode.l10n.t('Mark All as Read'),
});

interface Arrival {
  account: ImapAccount;
  path: string;
  envelopes: CachedEnvelope[];
  timer: NodeJS.Timeout;
}

export class NewMailNotifier extends Disposable {
  private readonly arrivals = new Map<string, Arrival>();
  private readonly show: (message: string, ...actions: string[]) => Thenable<string | undefined>;

  constructor(private readonly deps: NewMailNotifierDeps) {
    super();
    this.show = deps.show ?? ((message, ...actions) => vscode.window.showInformationMessage(message, ...actions));
    for (const account of deps.imap.active()) this.watch(account);
    this._register(deps.imap.onDidCreate((account) => this.watch(account)));
    this._register({ dispose: () => this.arrivals.forEach((a) => clearTimeout(a.timer)) });
  }

  /** A count-only notification (POP3 checks download whole batches). */
  notifyCount(label: string, count: number): void {
    if (!mailroomSettings().notifyNewMail || count <= 0) return;
    void this.show(count === 1 ? vscode.l10n.t('1 new message in {0}', label) : vscode.l10n.t('{0} new messages in {1}', count, label), actions().show).then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.view.extension.mailroom');
    });
  }

  private watch(account: ImapAccount): void {
    const subscription = account.onNewMail((mail) => this.onNewMail(account, mail));
    const closed = account.onDidClose(() => {
      subscription.dispose();
      closed.dispose();
    });
    this._register({ dispose: () => [subscription, closed].forEach((d) => d.dispose()) });
  }

  private onNewMail(account: ImapAccount, mail: NewMail): void {
    const settings = mailroomSettings();
    if (!settings.notifyNewMail || !notifiesFor(settings.notifyFolders, mail.path)) return;
    const key = `${account.id}\n${mail.path}`;
    const pending = this.arrivals.get(key);
    if (pending) {
      clearTimeout(pending.timer);
      pending.envelopes.push(...mail.envelopes);
      pending.timer = this.flushLater(key);
      return;
    }
    this.arrivals.set(key, { account, path: mail.path, envelopes: [...mail.envelopes], timer: this.flushLater(key) });
  }

  private flushLater(key: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const arrival = this.arrivals.get(key);
      this.arrivals.delete(key);
      if (arrival) void this.announce(arrival);
    }, GROUP_WINDOW_MS);
    timer.unref?.();
    return timer;
  }

  private async announce({ account, path, envelopes }: Omit<Arrival, 'timer'>): Promise<void> {
    const where = `${account.account.label ?? `${account.account.user}@${account.account.host}`}${path.toUpperCase() === 'INBOX' ? '' : ` › ${path}`}`;
    const archive = await account.archivePath().catch(() => undefined);
    const canArchive = archive !== undefined && archive !== path;
    const uids = envelopes.map((e) => e.uid);
    let choice: string | undefined;
    const ACTIONS = actions();
    if (envelopes.length === 1) {
      const [only] = envelopes;
      const from = only.from ? displayText(only.from.name || only.from.address) : vscode.l10n.t('unknown sender');
      choice = await this.show(
        vscode.l10n.t('New mail in {0}: "{1}" from {2}', where, displayText(only.subject) || vscode.l10n.t('(no subject)'), from),
        ACTIONS.open,
        ACTIONS.read,
        ...(canArchive ? [ACTIONS.archive] : []),
      );
    } else {
      const senders = [...new Set(envelopes.map((e) => (e.from ? displayText(e.from.name || e.from.address) : '')).filter(Boolean))];
      const shown = senders.slice(0, 3).join(', ');
      const message = !senders.length
        ? vscode.l10n.t('{0} new messages in {1}', envelopes.length, where)
        : senders.length > 3
          ? vscode.l10n.t('{0} new messages in {1} from {2} and {3} more', envelopes.length, where, shown, senders.length - 3)
          : vscode.l10n.t('{0} new messages in {1} from {2}', envelopes.length, where, shown);
      choice = await this.show(message, ACTIONS.show, ACTIONS.readAll, ...(canArchive ? [ACTIONS.archive] : []));
    }
    if (choice) this.deps.log.info(`new-mail notification: ${choice} for ${uids.length} message(s) in ${path}`);
    try {
      switch (choice) {
        case ACTIONS.open: {
          const node = await this.deps.model.messageNodeFor(account.id, path, envelopes[0]);
          if (node) this.deps.panels.open(node);
          else await vscode.commands.executeCommand('workbench.view.extension.mailroom');
          break;
        }
        case ACTIONS.show:
          await vscode.commands.executeCommand('workbench.view.extension.mailroom');
          break;
        case ACTIONS.read:
        case ACTIONS.readAll:
          await account.setFlags(path, uids, { add: ['\\Seen'] });
          break;
        case ACTIONS.archive:
          if (archive) {
            const outcome = await account.move(path, uids, archive);
            this.deps.log.info(`new-mail notification: moved to ${archive}${outcome.applied ? '' : ' (queued until the server can be reached)'}`);
          }
          break;
        default:
          break;
      }
    } catch (err) {
      await reportError(this.deps.log, choice ?? vscode.l10n.t('New mail'), err);
    }
  }
}

/** Whether `path` is among the folders chosen for notifications ("*": every folder Mailroom syncs). */
export function notifiesFor(folders: readonly string[], path: string): boolean {
  return folders.some((f) => f === '*' || f === path || (f.toUpperCase() === 'INBOX' && path.toUpperCase() === 'INBOX'));
}

import * as vscode from 'vscode';
import type { ImapAccount } from '../protocol/imap/imapAccount';
import type { ProtocolLog } from '../protocol/log';
import { Disposable } from '../util/dispose';
import type { AccountRepository } from './accounts';
import { mailroomSettings } from './settings';
import type { ImapAccountRegistry } from './imapAccounts';
import type { Pop3AccountRegistry } from './pop3Accounts';
import type { NewMailNotifier } from './notifications/newMailNotifier';

/** Something that knows one account's inbox unread count (IMAP INBOX or a POP3 cache). */
export interface InboxCounter {
  readonly accountId: string;
  readonly label: string;
  /** Undefined until known. */
  unseen(): number | undefined;
}

/**
 * The inboxes' unread count: a status bar item (clicking it reveals the Mail view) and the Mail
 * view's badge. New-mail notifications are ./notifications/newMailNotifier.ts.
 */
export class MailStatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly counters = new Map<string, InboxCounter>();

  constructor(
    private readonly imap: ImapAccountRegistry,
    private readonly log: ProtocolLog,
    /** The Mail view, whose badge shows the same count. */
    private readonly view?: Pick<vscode.TreeView<unknown>, 'badge'>,
  ) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('mailroom.unread', vscode.StatusBarAlignment.Left, 50));
    this.item.name = vscode.l10n.t('Mailroom Unread Mail');
    this.item.command = { command: 'workbench.view.extension.mailroom', title: vscode.l10n.t('Show Mail') };
    for (const account of imap.active()) this.watchImap(account);
    this._register(imap.onDidCreate((account) => this.watchImap(account)));
    this.update();
  }

  /** Registers a counter (POP3 caches use this) and returns a handle that removes it. */
  addCounter(counter: InboxCounter): vscode.Disposable {
    this.counters.set(counter.accountId, counter);
    this.update();
    return new vscode.Disposable(() => {
      if (this.counters.get(counter.accountId) === counter) this.counters.delete(counter.accountId);
      this.update();
    });
  }

  /** Recomputes the count and text; call after any counter changed. */
  update(): void {
    let total = 0;
    const lines: string[] = [];
    for (const c of this.counters.values()) {
      const n = c.unseen();
      if (n === undefined) continue;
      total += n;
      lines.push(vscode.l10n.t('{0}: {1} unread', c.label, n));
    }
    if (lines.length === 0) {
      this.item.hide();
      if (this.view) this.view.badge = undefined;
      return;
    }
    if (this.view) this.view.badge = total > 0 ? { value: total, tooltip: vscode.l10n.t('{0} unread in your inboxes', total) } : undefined;
    this.item.text = total > 0 ? `$(mail) ${total}` : '$(mail-read) 0';
    this.item.tooltip = [vscode.l10n.t('Unread in inboxes'), ...lines].join('\n');
    this.item.accessibilityInformation = { label: vscode.l10n.t('{0} unread messages in your inboxes', total) };
    this.item.show();
  }

  /** The unread count shown, for tests. */
  get unreadTotal(): number {
    return [...this.counters.values()].reduce((sum, c) => sum + (c.unseen() ?? 0), 0);
  }

  private watchImap(account: ImapAccount): void {
    let inboxUnseen: number | undefined;
    const label = account.account.label ?? `${account.account.user}@${account.account.host}`;
    const counter: InboxCounter = { accountId: account.id, label, unseen: () => inboxUnseen };
    const registration = this.addCounter(counter);
    const refresh = async (): Promise<void> => {
      try {
        const cache = await this.imap.headers.folder(account.id, 'INBOX');
        if (cache.state()) inboxUnseen = cache.unseenCount();
        this.update();
      } catch (err) {
        this.log.warn(`status bar: ${String(err)}`);
      }
    };
    const subscriptions = [
      account.onDidChangeFolder((change) => {
        if (change.path.toUpperCase() === 'INBOX') void refresh();
      }),
      account.onDidClose(() => {
        registration.dispose();
        subscriptions.forEach((d) => d.dispose());
      }),
    ];
    this._register({ dispose: () => [registration, ...subscriptions].forEach((d) => d.dispose()) });
    // INBOX is kept in sync (IDLE) from the moment the account is in use, for this count. The
    // tree's first page comes with it: at 100,000 messages the full sync takes seconds.
    void account.openFolder('INBOX', mailroomSettings().pageSize).then(refresh, (err: unknown) => this.log.warn(`status bar: ${String(err)}`));
  }
}

/**
 * Keeps one status bar counter per POP3 account (its local unread count) and announces newly
 * downloaded mail when the notification setting is on.
 */
export function watchPop3Inboxes(statusBar: MailStatusBar, notifier: Pick<NewMailNotifier, 'notifyCount'>, pop3: Pop3AccountRegistry, repository: AccountRepository): vscode.Disposable {
  const counters = new Map<string, { unseen: number | undefined; registration: vscode.Disposable }>();
  const refresh = async (accountId: string): Promise<void> => {
    const account = repository.get(accountId);
    if (!account || account.protocol !== 'pop3') return;
    let entry = counters.get(accountId);
    if (!entry) {
      const state: { unseen: number | undefined; registration: vscode.Disposable } = { unseen: undefined, registration: new vscode.Disposable(() => undefined) };
      state.registration = statusBar.addCounter({ accountId, label: account.label ?? `${account.user}@${account.host}`, unseen: () => state.unseen });
      counters.set(accountId, state);
      entry = state;
    }
    const cache = await pop3.cache(account).catch(() => undefined);
    if (cache) entry.unseen = cache.unseenCount();
    statusBar.update();
  };
  const reconcile = (): void => {
    const ids = new Set(repository.list().filter((a) => a.protocol === 'pop3').map((a) => a.id));
    for (const [id, entry] of counters) {
      if (!ids.has(id)) {
        entry.registration.dispose();
        counters.delete(id);
      }
    }
    for (const id of ids) void refresh(id);
  };
  reconcile();
  return vscode.Disposable.from(
    pop3.onDidChange((id) => void refresh(id)),
    pop3.onDidCheck((result) => {
      const account = repository.get(result.accountId);
      if (account && result.report && result.report.downloaded > 0) {
        notifier.notifyCount(account.label ?? `${account.user}@${account.host}`, result.report.downloaded);
      }
    }),
    repository.onDidChange(reconcile),
    new vscode.Disposable(() => counters.forEach((c) => c.registration.dispose())),
  );
}

import type { AccountConfig } from '../protocol/account';
import { disposeAll, IDisposable } from '../util/dispose';

/** What the watcher needs: AccountRepository, the Mail tree view and Pop3AccountRegistry fit. */
export interface Pop3AutoCheckOptions {
  accounts: {
    list(): AccountConfig[];
    /** The settings changed (by Mailroom or by hand). */
    onDidChange(listener: () => void): IDisposable;
    /** Mailroom stored an account and its password (Add Account, Trust Certificate). */
    onDidSave(listener: (account: AccountConfig) => void): IDisposable;
  };
  /** The Mail view: the start-up check waits until it is on screen, so activation connects nowhere. */
  view: { readonly visible: boolean; onDidChangeVisibility(listener: (e: { visible: boolean }) => void): IDisposable };
  /** False while automatic checks are off (`mailroom.pop3CheckIntervalMinutes` is 0). */
  enabled(): boolean;
  check(account: AccountConfig): Promise<unknown>;
}

/**
 * Checks POP3 accounts without waiting for Check Mail or the first timer tick: each account once
 * when the Mail view is first on screen (start-up), and an account right after it is saved (added,
 * its password stored, its certificate trusted) or its settings change by hand, so a new account
 * shows its mail, or says the server has none.
 */
export function watchPop3Accounts(options: Pop3AutoCheckOptions): IDisposable {
  const settingsOf = new Map(options.accounts.list().map((a) => [a.id, canonical(a)]));
  const checkedHere = new Set<string>();
  const subscriptions: IDisposable[] = [];
  let startedUp = false;
  const check = (account: AccountConfig): void => {
    checkedHere.add(account.id);
    void options.check(account).catch(() => undefined); // the registry shows a failure in the tree
  };
  const startUp = (): void => {
    if (startedUp || !options.view.visible) return;
    startedUp = true;
    if (!options.enabled()) return;
    for (const account of options.accounts.list()) if (account.protocol === 'pop3' && !checkedHere.has(account.id)) check(account);
  };
  subscriptions.push(
    options.accounts.onDidSave((account) => {
      // A settings change for the same save may come first: the registry shares one running check.
      settingsOf.set(account.id, canonical(account));
      if (account.protocol === 'pop3' && options.enabled()) check(account);
    }),
    options.accounts.onDidChange(() => {
      for (const account of options.accounts.list()) {
        const settings = canonical(account);
        if (settingsOf.get(account.id) === settings) continue;
        settingsOf.set(account.id, settings);
        if (account.protocol === 'pop3' && options.enabled()) check(account);
      }
    }),
    options.view.onDidChangeVisibility(() => startUp()),
  );
  startUp();
  return { dispose: () => disposeAll(subscriptions) };
}

/** JSON with sorted keys: the same settings compare equal whatever order they were written in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

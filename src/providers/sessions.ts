import * as vscode from 'vscode';
import { AccountConfig, accountLabel } from '../protocol/account';
import { ImapAccountSession } from '../protocol/imap/session';
import { ProtocolLog, taggedLog } from '../protocol/log';
import type { AccountRepository } from './accounts';

export interface SessionRegistryOptions {
  repository: AccountRepository;
  log: ProtocolLog;
  clientVersion: string;
}

/**
 * One ImapAccountSession per account, created on first use (activation never connects). A
 * session is replaced when its account's settings change and closed when the account goes.
 */
export class SessionRegistry implements vscode.Disposable {
  private readonly sessions = new Map<string, { key: string; session: ImapAccountSession }>();

  constructor(private readonly options: SessionRegistryOptions) {}

  get(account: AccountConfig): ImapAccountSession {
    const key = JSON.stringify(account);
    const existing = this.sessions.get(account.id);
    if (existing?.key === key) return existing.session;
    if (existing) void existing.session.close();
    const session = this.create(account, async () => this.options.repository.getPassword(account.id));
    this.sessions.set(account.id, { key, session });
    return session;
  }

  /** A throwaway session for an account that is not saved yet (Add Account's check). */
  createDetached(account: AccountConfig, password: string): ImapAccountSession {
    return this.create(account, async () => password);
  }

  /** Closes sessions whose account is gone or changed; the next use reconnects. */
  async reconcile(accounts: readonly AccountConfig[]): Promise<void> {
    const current = new Map(accounts.map((a) => [a.id, JSON.stringify(a)]));
    const stale = [...this.sessions].filter(([id, entry]) => current.get(id) !== entry.key);
    for (const [id] of stale) this.sessions.delete(id);
    await Promise.all(stale.map(([, entry]) => entry.session.close()));
  }

  async reset(accountId: string): Promise<void> {
    const entry = this.sessions.get(accountId);
    this.sessions.delete(accountId);
    await entry?.session.close();
  }

  private create(account: AccountConfig, getPassword: () => Promise<string | undefined>): ImapAccountSession {
    return new ImapAccountSession({
      account,
      getPassword,
      log: taggedLog(this.options.log, `imap ${accountLabel(account)}`),
      timeoutMs: connectionTimeoutMs(),
      clientVersion: this.options.clientVersion,
    });
  }

  dispose(): void {
    for (const { session } of this.sessions.values()) void session.close();
    this.sessions.clear();
  }
}

function connectionTimeoutMs(): number {
  const seconds = vscode.workspace.getConfiguration('mailroom').get<number>('connectionTimeoutSeconds', 20);
  return Math.max(3, Math.min(300, seconds)) * 1000;
}

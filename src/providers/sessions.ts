import { AccountConfig, accountLabel } from '../protocol/account';
import type { CredentialSource } from '../protocol/credentials';
import type { ImapAccountSession } from '../protocol/imap/session';
import { loadEngine } from '../loadEngine';
import { ProtocolLog, taggedLog } from '../protocol/log';
import { mailroomSettings } from './settings';

export interface LoginSessionsOptions {
  log: ProtocolLog;
  clientVersion: string;
}

/**
 * Throwaway IMAP sessions that sign in once with credentials not saved yet (Add Account's check).
 * Accounts in use live in ImapAccountRegistry.
 */
export class LoginSessions {
  constructor(private readonly options: LoginSessionsOptions) {}

  create(account: AccountConfig, credentials: CredentialSource): ImapAccountSession {
    const { ImapAccountSession } = loadEngine();
    return new ImapAccountSession({
      account,
      credentials,
      log: taggedLog(this.options.log, `imap ${accountLabel(account)}`),
      timeoutMs: mailroomSettings().connectionTimeoutMs,
      clientVersion: this.options.clientVersion,
    });
  }
}

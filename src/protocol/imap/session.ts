import type { AccountConfig } from '../account';
import type { CredentialSource } from '../credentials';
import type { ProtocolLog } from '../log';
import { FolderInfo, listFolders } from './folders';
import { fetchMessagePage, fetchMessageSource, MessagePage, PageRequest } from './messages';
import { ImapSupervisor, SupervisorOptions } from './supervisor';

export interface ImapSessionOptions {
  account: AccountConfig;
  credentials: CredentialSource;
  log: ProtocolLog;
  timeoutMs: number;
  clientVersion?: string;
  /** Everything else the supervisor takes (IDLE, leases, limits); default: one command connection, no IDLE. */
  supervisor?: Partial<Omit<SupervisorOptions, 'account' | 'credentials' | 'log' | 'timeoutMs' | 'clientVersion'>>;
}

/**
 * One account's IMAP session for the tree and the message panel: the original task-level API
 * (list folders, page, fetch source) over an ImapSupervisor, which connects on first use, runs
 * operations one at a time, reconnects with backoff and repeats an operation once when the
 * connection was lost during it. Errors reach the caller as MailErrors; while the server is
 * unreachable after a failed attempt, calls fail fast with 'Offline'.
 */
export class ImapAccountSession {
  readonly supervisor: ImapSupervisor;

  constructor(private readonly options: ImapSessionOptions) {
    this.supervisor = new ImapSupervisor({
      maxConnections: 1,
      ...options.supervisor,
      account: options.account,
      credentials: options.credentials,
      log: options.log,
      timeoutMs: options.timeoutMs,
      ...(options.clientVersion ? { clientVersion: options.clientVersion } : {}),
    });
  }

  get account(): AccountConfig {
    return this.options.account;
  }

  listFolders(): Promise<FolderInfo[]> {
    return this.supervisor.run('list folders', (client) => listFolders(client));
  }

  fetchPage(path: string, request: PageRequest): Promise<MessagePage> {
    return this.supervisor.run(`page ${path}`, (client) => fetchMessagePage(client, path, request));
  }

  fetchSource(path: string, uid: number): Promise<Buffer> {
    return this.supervisor.run(`source ${path} ${uid}`, (client) => fetchMessageSource(client, path, uid));
  }

  /** Connects (if not connected) and returns the server's capabilities: a cheap "test login". */
  verify(): Promise<string[]> {
    return this.supervisor.run('verify', async (client) => [...client.capabilities.keys()]);
  }

  close(): Promise<void> {
    return this.supervisor.close();
  }
}

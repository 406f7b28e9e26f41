import type { ImapFlow } from 'imapflow';
import { AccountConfig, accountLabel } from '../account';
import { toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import type { ProtocolLog } from '../log';
import { connectImap } from './connect';
import { FolderInfo, listFolders } from './folders';
import { fetchMessagePage, fetchMessageSource, MessagePage, PageRequest } from './messages';

export interface ImapSessionOptions {
  account: AccountConfig;
  getPassword(): Promise<string | undefined>;
  log: ProtocolLog;
  timeoutMs: number;
  clientVersion?: string;
}

/** How long a graceful LOGOUT may take when the session closes before the socket is cut. */
const LOGOUT_TIMEOUT_MS = 3000;

/**
 * One account's IMAP connection, opened on first use. Operations run one at a time in the order
 * they were asked for, so no command is ever issued while another holds the selected mailbox. A
 * connection found dead when an operation starts, or lost during a read-only operation, is
 * replaced once; anything else reaches the caller as a MailError.
 */
export class ImapAccountSession {
  private client: ImapFlow | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ImapSessionOptions) {}

  get account(): AccountConfig {
    return this.options.account;
  }

  listFolders(): Promise<FolderInfo[]> {
    return this.run((client) => listFolders(client));
  }

  fetchPage(path: string, request: PageRequest): Promise<MessagePage> {
    return this.run((client) => fetchMessagePage(client, path, request));
  }

  fetchSource(path: string, uid: number): Promise<Buffer> {
    return this.run((client) => fetchMessageSource(client, path, uid));
  }

  /** Connects (if not connected) and returns the server's capabilities: a cheap "test login". */
  verify(): Promise<string[]> {
    return this.run(async (client) => [...client.capabilities.keys()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.logout().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, LOGOUT_TIMEOUT_MS)))]);
    clearTimeout(timer);
    client.close();
  }

  private run<T>(work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.withClient(work));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async withClient<T>(work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const reused = this.client?.usable === true;
    const client = await this.ensureClient();
    try {
      return await work(client);
    } catch (err) {
      const mapped = toMailError(err, this.options.account);
      if (!reused || (mapped.code !== 'ConnectionClosed' && mapped.code !== 'Timeout')) throw mapped;
      this.options.log.warn(`connection lost (${mapped.detail ?? mapped.code}); reconnecting once`);
      this.discard(client);
      try {
        return await work(await this.ensureClient());
      } catch (retryErr) {
        throw toMailError(retryErr, this.options.account);
      }
    }
  }

  private async ensureClient(): Promise<ImapFlow> {
    if (this.closed) throw new MailError('ConnectionClosed', `The session for ${accountLabel(this.account)} was closed.`);
    if (this.client?.usable) return this.client;
    if (this.client) this.discard(this.client);
    const password = await this.options.getPassword();
    if (!password) {
      throw new MailError('PasswordMissing', `No password is stored for ${accountLabel(this.account)}. Remove the account and add it again.`);
    }
    const client = await connectImap({
      account: this.account,
      password,
      log: this.options.log,
      timeoutMs: this.options.timeoutMs,
      ...(this.options.clientVersion ? { clientVersion: this.options.clientVersion } : {}),
    });
    client.on('close', () => {
      if (this.client === client) this.client = undefined;
      this.options.log.info('connection closed');
    });
    if (this.closed) {
      client.close();
      throw new MailError('ConnectionClosed', `The session for ${accountLabel(this.account)} was closed.`);
    }
    this.client = client;
    return client;
  }

  private discard(client: ImapFlow): void {
    if (this.client === client) this.client = undefined;
    client.close();
  }
}

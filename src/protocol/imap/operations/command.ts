/**
 * What every operation shares: taking the mailbox lock (with an acquire timeout, released in
 * `finally`), reading capabilities, and turning imapflow's outcomes into typed errors.
 *
 * imapflow's STORE/COPY/MOVE/EXPUNGE wrappers resolve `false` on a NO or BAD instead of throwing,
 * and drop the server's response code on the way. `tracked()` listens to imapflow's public
 * `response` event (emitted for every tagged response) while one command runs, so a refusal
 * still becomes an ImapCommandError carrying the status and the response code (TRYCREATE,
 * OVERQUOTA, …) that decide, for example, whether a queued operation is worth retrying.
 */
import type { ImapFlow, MailboxObject } from 'imapflow';
import { toMailError } from '../../connectionErrors';
import { failureCause } from '../connectionFailure';
import { MailError } from '../../errors';
import { LOCK_ACQUIRE_TIMEOUT_MS } from './limits';

/** A NO or BAD from the server. `code` is MailError's 'CommandFailed'. */
export class ImapCommandError extends MailError {
  constructor(
    message: string,
    /** 'NO' or 'BAD'; undefined when the command was never sent (imapflow refused it locally). */
    readonly responseStatus: 'NO' | 'BAD' | undefined,
    /** RFC 5530 response code such as TRYCREATE, OVERQUOTA, NOPERM, in upper case. */
    readonly responseCode: string | undefined,
    options: { detail?: string; cause?: unknown } = {},
  ) {
    super('CommandFailed', message, options);
  }

  static isCommandError(value: unknown): value is ImapCommandError {
    return value instanceof ImapCommandError;
  }
}

/** Extensions IMAP4rev2 (RFC 9051) folds into the base protocol. */
const REV2_BASE = new Set(['MOVE', 'UIDPLUS', 'UNSELECT', 'ESEARCH', 'NAMESPACE', 'CHILDREN', 'SPECIAL-USE', 'LIST-EXTENDED']);

/**
 * Whether the session may use an extension: advertised, or part of IMAP4rev2 when that is the
 * protocol in use. Same rule as imapflow's internal hasCapability, so what we decide and what
 * imapflow then sends never disagree.
 */
export function serverHas(client: ImapFlow, capability: string): boolean {
  if (client.capabilities.has(capability)) return true;
  const rev2 = client.enabled.has('IMAP4REV2') || (client.capabilities.has('IMAP4rev2') && !client.capabilities.has('IMAP4rev1'));
  return rev2 && REV2_BASE.has(capability);
}

export interface TaggedOutcome {
  status: 'NO' | 'BAD';
  code: string | undefined;
}

/**
 * Runs one imapflow call and remembers the last tagged NO/BAD the server sent meanwhile. The
 * caller holds the mailbox lock, so the connection runs nothing else in between.
 */
export async function tracked<T>(client: ImapFlow, work: () => Promise<T>): Promise<{ value: T; refusal: TaggedOutcome | undefined }> {
  let refusal: TaggedOutcome | undefined;
  const listener = (payload: { response?: unknown; code?: unknown }): void => {
    const status = typeof payload.response === 'string' ? payload.response.toUpperCase() : '';
    if (status === 'NO' || status === 'BAD') {
      refusal = { status, code: typeof payload.code === 'string' ? payload.code.toUpperCase() : undefined };
    }
  };
  client.on('response', listener);
  try {
    const value = await work();
    return { value, refusal };
  } finally {
    client.removeListener('response', listener);
  }
}

/**
 * The error for an imapflow call that resolved `false`: the connection dropped (ConnectionClosed),
 * or the server refused (ImapCommandError with its status and code), or imapflow refused to send
 * it at all (ImapCommandError without a status).
 */
export function refusedError(client: ImapFlow, what: string, refusal: TaggedOutcome | undefined): MailError {
  if (!client.usable) {
    return new MailError('ConnectionClosed', `The connection to ${client.host} closed while trying to ${what}. It will be retried when the account is back online.`);
  }
  const detail = refusal ? `${refusal.status}${refusal.code ? ` [${refusal.code}]` : ''}` : 'not sent';
  return new ImapCommandError(`The server refused to ${what}${refusal?.code ? ` (${refusal.code})` : ''}. See the Mailroom log for its answer.`, refusal?.status, refusal?.code, { detail });
}

interface ThrownImapError {
  responseStatus?: unknown;
  serverResponseCode?: unknown;
  responseText?: unknown;
  mailboxMissing?: unknown;
}

/** Maps anything imapflow threw during `what` to a MailError. */
export function operationError(client: ImapFlow, err: unknown, what: string): MailError {
  if (MailError.is(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as ThrownImapError;
  const status = typeof e.responseStatus === 'string' ? e.responseStatus.toUpperCase() : undefined;
  if ((status === 'NO' || status === 'BAD') && e.mailboxMissing !== true && e.serverResponseCode !== 'NONEXISTENT') {
    const code = typeof e.serverResponseCode === 'string' ? e.serverResponseCode.toUpperCase() : undefined;
    const text = typeof e.responseText === 'string' ? e.responseText : undefined;
    return new ImapCommandError(
      `The server refused to ${what}${text ? `: ${text}` : '.'}`,
      status,
      code,
      { detail: [status, code ? `[${code}]` : undefined, text].filter(Boolean).join(' '), cause: err },
    );
  }
  return toMailError(failureCause(client, err), { host: client.host, port: client.port });
}

export interface MailboxAccess {
  readOnly: boolean;
  /** Shown in imapflow's lock diagnostics. */
  description: string;
}

/**
 * Selects `path` (SELECT, or EXAMINE when read-only) under the connection's mailbox lock, runs
 * `work`, and releases the lock in `finally`. Waiting for the lock is bounded.
 */
export async function withMailbox<T>(client: ImapFlow, path: string, access: MailboxAccess, work: (mailbox: MailboxObject) => Promise<T>): Promise<T> {
  let lock;
  try {
    lock = await client.getMailboxLock(path, { readOnly: access.readOnly, acquireTimeout: LOCK_ACQUIRE_TIMEOUT_MS, description: access.description });
  } catch (err) {
    throw operationError(client, err, `open "${path}"`);
  }
  try {
    const mailbox = client.mailbox;
    if (!mailbox) throw new MailError('ConnectionClosed', `The connection to ${client.host} closed while opening "${path}".`);
    if (!access.readOnly && mailbox.readOnly) {
      throw new ImapCommandError(`The folder "${path}" is read-only on this server; it cannot be changed.`, 'NO', 'READ-ONLY', { detail: 'SELECT answered [READ-ONLY]' });
    }
    return await work(mailbox);
  } finally {
    lock.release();
  }
}

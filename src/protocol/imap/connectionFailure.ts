/**
 * Why a connection died, when it was ended on purpose: a response over a limit (imapflow's
 * LiteralTooLarge, LineTooLarge, ResponseTooLarge, TooManyTokens), a socket timeout, or a command
 * that ran past its deadline. imapflow reports that cause once, on its 'error' event, and then
 * rejects the command in flight with a bare NoConnection ("Connection not available"); the first
 * cause recorded here is what the command's caller is told instead.
 */
import type { ImapFlow } from 'imapflow';
import type { MailError } from '../errors';

const failures = new WeakMap<ImapFlow, MailError>();

/** Keeps the first cause only: what follows it (a reset, a close) is its consequence. */
export function recordConnectionFailure(client: ImapFlow, error: MailError): void {
  if (!failures.has(client)) failures.set(client, error);
}

export function connectionFailure(client: ImapFlow): MailError | undefined {
  return failures.get(client);
}

/** What to map for `err` thrown by work on `client`: the recorded cause once the connection is gone. */
export function failureCause(client: ImapFlow, err: unknown): unknown {
  return client.usable ? err : (failures.get(client) ?? err);
}

import type { ImapFlow } from 'imapflow';
import { operationError, refusedError, tracked } from './command';

/**
 * Runs one imapflow message command that resolves a falsy value on failure, and returns its
 * value or throws the matching MailError (see command.ts). `what` completes "failed to …".
 */
export async function runCommand<T>(client: ImapFlow, what: string, work: () => Promise<T | false | undefined>): Promise<T> {
  let outcome;
  try {
    outcome = await tracked(client, work);
  } catch (err) {
    throw operationError(client, err, what);
  }
  if (outcome.value === false || outcome.value === undefined) throw refusedError(client, what, outcome.refusal);
  return outcome.value;
}

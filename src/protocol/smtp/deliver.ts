/**
 * Sending one outbox entry, as a state machine that never sends a message twice and never
 * loses one:
 *
 *   queued | failed | partial --(SMTP)--> sent --> Sent copy --> flag original --> drop draft --> removed
 *                       \--(SMTP refused)--> failed (lastError = the server's reply)
 *                        \--(some recipients refused)--> partial (envelope.to = the refused ones)
 *
 * Once the server accepted the message, nothing re-sends it: if the Sent copy or the flag fail,
 * the entry stays 'sent' with lastError, and delivering it again only retries those steps.
 */
import { MailError } from '../errors';
import type { ProtocolLog } from '../log';
import type { OriginalRef, Outbox, OutboxEntry } from '../../store/outbox';
import type { BuiltMessage } from './buildMessage';
import type { SendResult } from './send';

/** The mailbox half of sending (IMAP: imapMailboxSide); every step is optional (POP3 has none). */
export interface MailboxSide {
  saveSent?(bytes: Buffer): Promise<void>;
  markOriginal?(ref: OriginalRef, flag: string): Promise<void>;
  removeDraft?(draftId: string): Promise<void>;
}

export interface DeliverDeps {
  outbox: Outbox;
  send: (envelope: BuiltMessage['envelope'], raw: Buffer) => Promise<SendResult>;
  mailbox: MailboxSide;
  log: ProtocolLog;
}

export type DeliveryOutcome =
  | { status: 'sent'; rejected: []; warnings: string[] }
  | { status: 'partial'; rejected: SendResult['rejected']; warnings: string[] }
  | { status: 'failed'; error: MailError };

/** Ids being delivered now, per outbox: a second deliver() of the same id is refused. */
const inFlight = new WeakMap<Outbox, Set<string>>();

export async function deliver(id: string, deps: DeliverDeps): Promise<DeliveryOutcome> {
  let busy = inFlight.get(deps.outbox);
  if (!busy) inFlight.set(deps.outbox, (busy = new Set()));
  if (busy.has(id)) return { status: 'failed', error: new MailError('Unknown', 'This message is already being sent.') };
  busy.add(id);
  try {
    return await run(id, deps);
  } finally {
    busy.delete(id);
  }
}

async function run(id: string, deps: DeliverDeps): Promise<DeliveryOutcome> {
  const { outbox, log } = deps;
  const { entry: stored, wire, sentCopy } = await outbox.read(id);
  let entry = stored;
  let rejected: SendResult['rejected'] = [];

  if (entry.state !== 'sent') {
    entry = await outbox.update(id, { state: 'sending', attempts: entry.attempts + 1 });
    let result: SendResult;
    try {
      result = await deps.send(entry.envelope, wire);
    } catch (err) {
      const error = MailError.from(err);
      log.warn(`send of outbox ${id} failed: ${error.code} ${error.message}${error.detail ? ` (${error.detail})` : ''}`);
      await outbox.update(id, { state: 'failed', lastError: errorRecord(error) });
      return { status: 'failed', error };
    }
    rejected = result.rejected;
    log.info(`outbox ${id} accepted for ${result.accepted.length} recipient(s)${rejected.length ? `, refused for ${rejected.length}` : ''}: ${result.response}`);
    entry = await outbox.update(
      id,
      rejected.length
        ? {
            state: 'partial',
            envelope: { from: entry.envelope.from, to: rejected.map((r) => r.address) },
            lastError: { code: 'RecipientRejected', message: `The server refused ${rejected.map((r) => r.address).join(', ')}.`, response: rejected.map((r) => `${r.address}: ${r.response}`).join('\n') },
          }
        : { state: 'sent', lastError: undefined },
    );
  }

  // From here on the message went out (to some or all): only the mailbox steps remain.
  const warnings: string[] = [];
  let incomplete = false;
  const step = async (what: string, work: () => Promise<void>, done: Partial<OutboxEntry>): Promise<void> => {
    try {
      await work();
      entry = await outbox.update(id, done);
    } catch (err) {
      const error = MailError.from(err);
      incomplete = true;
      warnings.push(`${what}: ${error.message}`);
      log.warn(`outbox ${id}: ${what} failed: ${error.code} ${error.message}`);
      entry = await outbox.update(id, { lastError: errorRecord(error, what) });
    }
  };
  const { saveSent, markOriginal, removeDraft } = deps.mailbox;
  if (!entry.sentCopySaved && saveSent) await step('The copy in Sent was not saved', () => saveSent.call(deps.mailbox, sentCopy), { sentCopySaved: true });
  if (entry.original && entry.originalFlag && !entry.originalMarked && markOriginal) {
    const ref = entry.original;
    const flag = entry.originalFlag;
    await step(`The original message was not marked ${flag === '\\Answered' ? 'answered' : 'forwarded'}`, () => markOriginal.call(deps.mailbox, ref, flag), { originalMarked: true });
  }
  if (entry.state === 'partial') return { status: 'partial', rejected, warnings };

  if (entry.draftId && removeDraft) {
    const draftId = entry.draftId;
    try {
      await removeDraft.call(deps.mailbox, draftId);
    } catch (err) {
      // A leftover draft is harmless and visible; not worth keeping the sent message for.
      warnings.push(`The draft was not removed: ${MailError.from(err).message}`);
    }
  }
  if (!incomplete) {
    await outbox.remove(id);
  } else if (!entry.lastError) {
    await outbox.update(id, { lastError: { code: 'Unknown', message: warnings.join(' ') } });
  }
  return { status: 'sent', rejected: [], warnings };
}

function errorRecord(error: MailError, what?: string): NonNullable<OutboxEntry['lastError']> {
  return { code: error.code, message: what ? `${what}: ${error.message}` : error.message, ...(error.detail ? { response: error.detail } : {}) };
}

/**
 * What a check does, decided from the server's listing, the cache and the policy, with no I/O
 * (so every rule is unit-tested with an injected clock):
 * - never download a UIDL that is cached or was removed locally;
 * - DELE only messages whose whole copy is durable here, per leave-on-server and delete-after-days;
 * - a headers-only copy stays on the server until its body has been fetched;
 * - without UIDL only download-and-delete is possible; anything else is refused in words.
 */
import { MailError } from '../../protocol/errors';
import { DAY_MS } from './limits';
import { Pop3Policy } from './types';

export interface ServerMessage {
  msg: number;
  size: number;
  /** Undefined when the server has no UIDL. */
  uidl?: string;
}

export interface KnownMessage {
  receivedAt: string;
  /** Headers-only copy: the server copy is still needed. */
  partial: boolean;
}

export interface PlanInput {
  messages: ServerMessage[];
  hasUidl: boolean;
  policy: Pop3Policy;
  now: Date;
  /** The cached entry for a UIDL, if any. */
  cached(uidl: string): KnownMessage | undefined;
  /** A message removed locally (tombstone), if any. */
  removed(uidl: string): { receivedAt: string } | undefined;
  /** Account label for messages. */
  label: string;
}

export interface PlannedDownload {
  msg: number;
  size: number;
  uidl: string | undefined;
  headersOnly: boolean;
  /** DELE it in this session once its copy is durable. */
  deleteWhenStored: boolean;
}

export interface CheckPlan {
  download: PlannedDownload[];
  /** Every UIDL the server listed (empty without UIDL). */
  onServer: Set<string>;
  /** Already durable here (or removed locally): DELE in this session. */
  deleteNow: Array<{ msg: number; uidl: string }>;
  skippedAlreadyCached: number;
}

export function validatePolicy(policy: Pop3Policy): void {
  const days = policy.deleteFromServerAfterDays;
  if (days !== undefined && !(Number.isFinite(days) && days >= 0)) {
    throw new MailError('InvalidAccount', 'Invalid POP3 setting: "delete from server after days" must be a number of days, 0 or more.');
  }
  const bytes = policy.headersOnlyAboveBytes;
  if (bytes !== undefined && !(Number.isFinite(bytes) && bytes >= 0)) {
    throw new MailError('InvalidAccount', 'Invalid POP3 setting: "headers only above" must be a size in bytes, 0 or more.');
  }
}

/** True when a copy received at `receivedAt` has been kept on the server long enough. */
export function isDueForDeletion(policy: Pop3Policy, receivedAt: string, now: Date): boolean {
  if (!policy.leaveOnServer) return true;
  const days = policy.deleteFromServerAfterDays;
  if (days === undefined) return false;
  const received = Date.parse(receivedAt);
  if (Number.isNaN(received)) return false; // unknown age: keep rather than delete early
  return now.getTime() - received >= days * DAY_MS;
}

export function planCheck(input: PlanInput): CheckPlan {
  const { policy, now } = input;
  validatePolicy(policy);
  if (!input.hasUidl) return planWithoutUidl(input);

  const download: PlannedDownload[] = [];
  const deleteNow: CheckPlan['deleteNow'] = [];
  let skipped = 0;
  const deleteNew = isDueForDeletion(policy, now.toISOString(), now);
  const seen = new Set<string>();
  for (const m of input.messages) {
    const uidl = m.uidl;
    if (uidl === undefined) {
      throw new MailError('ProtocolError', `The server listed message ${m.msg} without a UIDL while it gave UIDLs for others.`);
    }
    if (seen.has(uidl)) {
      throw new MailError('ProtocolError', `The server gave two messages the same UIDL (${uidl}); Mailroom stops rather than mix them up.`);
    }
    seen.add(uidl);
    const known = input.cached(uidl);
    if (known) {
      skipped++;
      if (!known.partial && isDueForDeletion(policy, known.receivedAt, now)) deleteNow.push({ msg: m.msg, uidl });
      continue;
    }
    const removed = input.removed(uidl);
    if (removed) {
      skipped++;
      if (isDueForDeletion(policy, removed.receivedAt, now)) deleteNow.push({ msg: m.msg, uidl });
      continue;
    }
    const headersOnly = policy.headersOnlyAboveBytes !== undefined && m.size > policy.headersOnlyAboveBytes;
    download.push({ msg: m.msg, size: m.size, uidl, headersOnly, deleteWhenStored: deleteNew && !headersOnly });
  }
  return { download, onServer: seen, deleteNow, skippedAlreadyCached: skipped };
}

function planWithoutUidl(input: PlanInput): CheckPlan {
  const { policy } = input;
  if (policy.leaveOnServer) {
    throw new MailError(
      'Unsupported',
      `The POP3 server of ${input.label} does not support UIDL, so Mailroom cannot tell which messages it already downloaded. ` +
        'Turn off "leave messages on the server" for this account to download and delete them instead.',
    );
  }
  if (policy.headersOnlyAboveBytes !== undefined) {
    throw new MailError(
      'Unsupported',
      `The POP3 server of ${input.label} does not support UIDL, so Mailroom cannot fetch a message body later; turn off "headers only" for this account.`,
    );
  }
  return {
    download: input.messages.map((m) => ({ msg: m.msg, size: m.size, uidl: undefined, headersOnly: false, deleteWhenStored: true })),
    onServer: new Set(),
    deleteNow: [],
    skippedAlreadyCached: 0,
  };
}

import type { FetchMessageObject, ImapFlow, MessageAddressObject } from 'imapflow';
import { MailError } from '../errors';

export interface MessageAddress {
  name: string;
  address: string;
}

export interface MessageSummary {
  uid: number;
  seq: number;
  subject: string;
  from: MessageAddress | undefined;
  /** ISO 8601; the Date header, falling back to INTERNALDATE. */
  date: string | undefined;
  seen: boolean;
  flagged: boolean;
  size: number;
}

export interface MessagePage {
  path: string;
  /** Messages in the folder when the page was read. */
  total: number;
  uidValidity: string;
  /** Newest first. */
  messages: MessageSummary[];
  /** Highest sequence number of the next (older) page, or undefined when this page reached the oldest. */
  olderThanSeq: number | undefined;
}

export interface PageRequest {
  /** Read the page that ends at this sequence number; the newest page when absent. */
  endSeq?: number;
  pageSize: number;
}

/**
 * Reads one page of envelopes, newest first, by sequence range, in a read-only EXAMINE so that
 * listing never changes flags. Sequence ranges are what makes the first page one round trip; the
 * UID in each summary is what later commands use.
 */
export async function fetchMessagePage(client: ImapFlow, path: string, request: PageRequest): Promise<MessagePage> {
  const lock = await client.getMailboxLock(path, { readOnly: true });
  try {
    const mailbox = client.mailbox;
    if (!mailbox) throw new MailError('MailboxNotFound', `The folder "${path}" could not be opened.`);
    const total = mailbox.exists;
    const end = Math.min(request.endSeq ?? total, total);
    const page: MessagePage = { path, total, uidValidity: mailbox.uidValidity.toString(), messages: [], olderThanSeq: undefined };
    if (end < 1) return page;
    const start = Math.max(1, end - request.pageSize + 1);
    // fetchAll collects first and returns: no command is issued inside a streaming fetch loop.
    const fetched = await client.fetchAll(`${start}:${end}`, { uid: true, envelope: true, flags: true, internalDate: true, size: true });
    page.messages = fetched.map(toSummary).sort((a, b) => b.seq - a.seq);
    page.olderThanSeq = start > 1 ? start - 1 : undefined;
    return page;
  } finally {
    lock.release();
  }
}

/** The raw RFC 822 bytes of one message, by UID, without setting \Seen (BODY.PEEK). */
export async function fetchMessageSource(client: ImapFlow, path: string, uid: number): Promise<Buffer> {
  const lock = await client.getMailboxLock(path, { readOnly: true });
  try {
    const message = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
    if (!message || !message.source) {
      throw new MailError('MessageNotFound', `The message is no longer in "${path}"; another client may have moved or deleted it. Refresh the folder.`);
    }
    return message.source;
  } finally {
    lock.release();
  }
}

function toSummary(message: FetchMessageObject): MessageSummary {
  const envelope = message.envelope;
  const flags = message.flags ?? new Set<string>();
  const date = toDate(envelope?.date) ?? toDate(message.internalDate);
  return {
    uid: message.uid,
    seq: message.seq,
    subject: envelope?.subject ?? '',
    from: firstAddress(envelope?.from),
    date: date?.toISOString(),
    seen: flags.has('\\Seen'),
    flagged: flags.has('\\Flagged'),
    size: message.size ?? 0,
  };
}

function firstAddress(list: MessageAddressObject[] | undefined): MessageAddress | undefined {
  const first = list?.[0];
  if (!first) return undefined;
  return { name: first.name ?? '', address: first.address ?? '' };
}

function toDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The attendee's answer to an invitation: an iTIP REPLY (RFC 5546 §3.2.3) for the event, sent as
 * iMIP (RFC 6047) to the ORGANIZER: text/calendar; method=REPLY with one ATTENDEE (the user) and
 * its PARTSTAT, the same UID, SEQUENCE and RECURRENCE-ID, a fresh DTSTAMP, and an optional COMMENT.
 * nodemailer's icalEvent writes the calendar as Outlook and Google do: a text/calendar alternative
 * beside the text, and the same data as an application/ics attachment.
 */
import { MailError } from '../errors';
import { loadMailLibraries } from '../loadMailLibraries';
import type { MailAddress } from '../mime/types';
import type { BuiltMessage } from '../smtp/buildMessage';
import { isAddrSpec } from '../smtp/address';
import type { Invitation } from './invitation';
import { MAX_REPLY_COMMENT_CHARS } from './limits';
import { loadIcal } from './loadIcal';
import { randomBytes } from 'node:crypto';

export type ReplyAnswer = 'ACCEPTED' | 'TENTATIVE' | 'DECLINED';

export const ANSWER_WORDS: Record<ReplyAnswer, { subject: string; sentence: string }> = {
  ACCEPTED: { subject: 'Accepted', sentence: 'has accepted' },
  TENTATIVE: { subject: 'Tentative', sentence: 'has tentatively accepted' },
  DECLINED: { subject: 'Declined', sentence: 'has declined' },
};

export interface ReplyRequest {
  invitation: Invitation;
  /** The user as the invitation lists them (or the account's address when it does not). */
  attendee: MailAddress;
  answer: ReplyAnswer;
  comment?: string;
  now?: Date;
}

/** Why this invitation cannot be answered, or undefined when it can. */
export function cannotAnswer(invitation: Invitation): string | undefined {
  if (invitation.method !== 'REQUEST') {
    return invitation.method === 'CANCEL' ? 'This event was cancelled; there is nothing to answer.' : `This calendar message (${invitation.method || 'no METHOD'}) is not an invitation to answer.`;
  }
  if (invitation.status === 'CANCELLED') return 'This event was cancelled; there is nothing to answer.';
  if (!invitation.organizer?.address || !isAddrSpec(invitation.organizer.address)) return 'This invitation names no organiser address to send an answer to.';
  return undefined;
}

/** The VCALENDAR text of the reply (CRLF lines, folded at 75 octets by ical.js). */
export function buildReplyCalendar(request: ReplyRequest): string {
  const why = cannotAnswer(request.invitation);
  if (why) throw new MailError('Unsupported', why);
  const ICAL = loadIcal();
  const inv = request.invitation;
  const calendar = new ICAL.Component('vcalendar');
  calendar.addPropertyWithValue('prodid', '-//Mailroom//Mailroom//EN');
  calendar.addPropertyWithValue('version', '2.0');
  calendar.addPropertyWithValue('method', 'REPLY');
  const event = new ICAL.Component('vevent');
  event.addPropertyWithValue('uid', inv.uid);
  event.addPropertyWithValue('sequence', inv.sequence);
  event.addPropertyWithValue('dtstamp', ICAL.Time.fromJSDate(request.now ?? new Date(), true));
  if (inv.recurrenceId) {
    const date = /^\d{8}$/.test(inv.recurrenceId);
    const prop = new ICAL.Property('recurrence-id');
    prop.resetType(date ? 'date' : 'date-time');
    prop.setValue(date ? ICAL.Time.fromDateString(`${inv.recurrenceId.slice(0, 4)}-${inv.recurrenceId.slice(4, 6)}-${inv.recurrenceId.slice(6, 8)}`) : ICAL.Time.fromJSDate(new Date(isoOf(inv.recurrenceId)), true));
    event.addProperty(prop);
  }
  const organizer = event.addPropertyWithValue('organizer', `mailto:${inv.organizer!.address}`);
  if (inv.organizer!.name) organizer.setParameter('cn', inv.organizer!.name);
  const attendee = event.addPropertyWithValue('attendee', `mailto:${request.attendee.address}`);
  attendee.setParameter('partstat', request.answer);
  if (request.attendee.name) attendee.setParameter('cn', request.attendee.name);
  if (inv.summary) event.addPropertyWithValue('summary', inv.summary);
  const comment = commentOf(request.comment);
  if (comment) event.addPropertyWithValue('comment', comment);
  calendar.addSubcomponent(event);
  return calendar.toString().replace(/\r?\n/g, '\r\n') + '\r\n';
}

/** The whole iMIP message, ready for the outbox: From the attendee, To the organiser. */
export async function buildReplyMessage(request: ReplyRequest & { inReplyTo?: string }): Promise<{ built: BuiltMessage; subject: string; calendar: string }> {
  const calendar = buildReplyCalendar(request);
  const inv = request.invitation;
  const organizer: MailAddress = { name: inv.organizer!.name, address: inv.organizer!.address };
  const words = ANSWER_WORDS[request.answer];
  const subject = `${words.subject}: ${inv.summary || '(no title)'}`;
  const who = request.attendee.name ? `${request.attendee.name} <${request.attendee.address}>` : request.attendee.address;
  const comment = commentOf(request.comment);
  const text = `${who} ${words.sentence} the invitation “${inv.summary || '(no title)'}”.\n${comment ? `\n${comment}\n` : ''}`;
  const domain = request.attendee.address.slice(request.attendee.address.lastIndexOf('@') + 1) || 'mailroom.invalid';
  const messageId = `${Date.now().toString(36)}.${randomBytes(12).toString('hex')}@${domain}`;
  const { MailComposer } = loadMailLibraries();
  const inReplyTo = request.inReplyTo?.replace(/^<|>$/g, '');
  const composer = new MailComposer({
    newline: 'win',
    disableUrlAccess: true,
    disableFileAccess: true,
    from: request.attendee,
    to: [organizer],
    subject,
    messageId: `<${messageId}>`,
    date: request.now ?? new Date(),
    ...(inReplyTo ? { inReplyTo: `<${inReplyTo}>`, references: [`<${inReplyTo}>`] } : {}),
    text,
    icalEvent: { method: 'REPLY', filename: 'reply.ics', content: calendar },
  });
  const wire = await composer.compile().build();
  return { built: { wire, sentCopy: wire, envelope: { from: request.attendee.address, to: [organizer.address] }, messageId }, subject, calendar };
}

function commentOf(comment: string | undefined): string {
  const text = (comment ?? '').replace(/\r\n?/g, '\n').trim();
  return text.length > MAX_REPLY_COMMENT_CHARS ? text.slice(0, MAX_REPLY_COMMENT_CHARS) : text;
}

/** `20260706T080000Z` → `2026-07-06T08:00:00Z`. */
function isoOf(value: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) throw new MailError('CalendarInvalid', 'The invitation’s RECURRENCE-ID could not be read.');
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

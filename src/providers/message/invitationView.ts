// A calendar part → the invitation card of the message view. No vscode (unit-tested): times are
// formatted with Intl in the user's zone and, when it differs, as the organiser wrote them.
import type { CalendarParty, EventTime, Invitation } from '../../protocol/calendar/invitation';
import { MAX_CALENDAR_PART_BYTES } from '../../protocol/calendar/limits';
import { MailError } from '../../protocol/errors';
import type { CalendarPart } from '../../protocol/mime/types';
import { displayText } from '../../shared/displayText';
import type { InvitationAnswer, InvitationAttendeeView, InvitationView } from '../../shared/invitationView';
import { loadEngine } from '../../loadEngine';

export interface StoredAnswer {
  answer: InvitationAnswer;
  /** ISO 8601. */
  at: string;
  sequence: number;
}

export interface InvitationContext {
  /** The account's own addresses, lower-cased (ownAddresses). */
  ownAddresses: string[];
  /** The user's zone (default the system's). */
  timeZone?: string;
  /** What this account answered to this event before, if anything. */
  answered?: StoredAnswer;
}

const PARTSTAT_WORDS: Record<string, string> = {
  'NEEDS-ACTION': 'has not answered',
  ACCEPTED: 'accepted',
  TENTATIVE: 'maybe',
  DECLINED: 'declined',
  DELEGATED: 'delegated',
};

/** The part parsed, or its problem as an 'invalid' card: a broken calendar never breaks the view. */
export function readInvitation(part: CalendarPart, timeZone?: string): { invitation?: Invitation; problem?: string } {
  if (part.text === undefined) {
    return { problem: `This invitation cannot be shown: its calendar data is ${Math.ceil(part.size / 1024)} KB, more than the ${MAX_CALENDAR_PART_BYTES / 1024} KB Mailroom reads. Save the attachment to open it in a calendar.` };
  }
  try {
    return { invitation: loadEngine().parseInvitation(part.text, timeZone ? { timeZone } : {}) };
  } catch (err) {
    return { problem: MailError.is(err) ? err.message : `This invitation cannot be shown: ${String(err)}` };
  }
}

export function invitationProblemView(problem: string): InvitationView {
  return { kind: 'invalid', heading: 'Calendar data', problem: displayText(problem), title: '', when: '', location: '', organizer: '', attendees: [], attendeesOmitted: 0, description: '', comment: '', sequence: 0, canAnswer: false };
}

export function buildInvitationView(inv: Invitation, ctx: InvitationContext): InvitationView {
  const zone = ctx.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const own = new Set(ctx.ownAddresses.map((a) => a.toLowerCase()));
  const cancelled = inv.method === 'CANCEL' || inv.status === 'CANCELLED';
  const outdated = !!ctx.answered && ctx.answered.sequence < inv.sequence;
  let kind: InvitationView['kind'];
  let heading: string;
  if (cancelled) {
    kind = 'cancelled';
    heading = 'This event was cancelled';
  } else if (inv.method === 'REQUEST') {
    kind = inv.sequence > 0 || outdated ? 'updated' : 'request';
    heading = kind === 'updated' ? (outdated ? 'Updated invitation: your answer was to an earlier version' : 'Updated invitation') : 'Invitation';
  } else if (inv.method === 'REPLY') {
    kind = 'reply';
    const who = inv.attendees[0];
    heading = who ? `${partyLabel(who)} ${PARTSTAT_WORDS[who.partstat] === 'maybe' ? 'tentatively accepted' : (PARTSTAT_WORDS[who.partstat] ?? who.partstat.toLowerCase())}` : 'Answer to an invitation';
  } else {
    kind = 'other';
    heading = 'Calendar event';
  }
  const view: InvitationView = {
    kind,
    heading: displayText(heading),
    title: displayText(inv.summary) || '(no title)',
    when: inv.start ? formatWhen(inv.start, inv.end, zone) : '(no time given)',
    location: displayText(inv.location),
    organizer: inv.organizer ? displayText(partyLabel(inv.organizer)) : '',
    attendees: inv.attendees.map((a): InvitationAttendeeView => {
      const you = !!a.address && own.has(a.address);
      // The invitation lists the user as the organiser last knew; the answer given since is what is true now.
      const partstat = you && ctx.answered && !outdated ? ctx.answered.answer : a.partstat;
      return { label: displayText(partyLabel(a)), partstat, answer: PARTSTAT_WORDS[partstat] ?? partstat.toLowerCase(), optional: a.role === 'OPT-PARTICIPANT', you };
    }),
    attendeesOmitted: inv.attendeesOmitted,
    description: displayText(inv.description),
    comment: displayText(inv.comment),
    sequence: inv.sequence,
    canAnswer: false,
  };
  const organizerWhen = inv.start ? formatAsWritten(inv.start, inv.end) : undefined;
  if (organizerWhen && stripZone(organizerWhen) !== stripZone(view.when)) view.whenOrganizer = organizerWhen;
  if (inv.recurrence) view.recurrence = displayText(inv.recurrence.words);
  if (kind === 'request' || kind === 'updated') {
    const why = loadEngine().cannotAnswer(inv) ?? (own.size === 0 ? 'This account has no address to answer from: set "email" for it in the mailroom.accounts setting.' : undefined);
    if (why) view.cannotAnswer = why;
    else view.canAnswer = true;
  }
  if (ctx.answered) view.answered = { ...ctx.answered, outdated };
  return view;
}

/** The user's own entry among the attendees, if the invitation lists one of their addresses. */
export function ownAttendee(inv: Invitation, ownAddresses: string[]): CalendarParty | undefined {
  const own = new Set(ownAddresses.map((a) => a.toLowerCase()));
  return inv.attendees.find((a) => a.address && own.has(a.address));
}

function partyLabel(p: CalendarParty): string {
  if (p.name && p.address) return `${p.name} <${p.address}>`;
  return p.address || p.name || '(unknown)';
}

const DATE: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' };
const TIME: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

/** "Mon 6 Jul 2026, 10:00–11:00 (Europe/Berlin)" in `zone`; all-day dates as dates. */
export function formatWhen(start: EventTime, end: EventTime | undefined, zone: string): string {
  if (start.allDay) return allDay(start, end);
  return span(Date.parse(start.utc), end ? Date.parse(end.utc) : undefined, zone, zone);
}

/** The wall times as the organiser wrote them, with their zone's name; undefined for floating or UTC-in-UTC times. */
function formatAsWritten(start: EventTime, end: EventTime | undefined): string | undefined {
  if (start.allDay || !start.zone) return undefined;
  const wall = (t: EventTime): number | undefined => (t.written ? Date.parse(`${t.written}Z`) : undefined);
  const s = wall(start);
  if (s === undefined || Number.isNaN(s)) return undefined;
  const e = end && end.zone === start.zone ? wall(end) : undefined;
  return span(s, e !== undefined && !Number.isNaN(e) ? e : undefined, 'UTC', displayText(start.zone));
}

function span(startMs: number, endMs: number | undefined, zone: string, zoneLabel: string): string {
  const date = new Intl.DateTimeFormat('en-GB', { ...DATE, timeZone: zone });
  const time = new Intl.DateTimeFormat('en-GB', { ...TIME, timeZone: zone });
  const d = (ms: number): string => date.format(ms).replace(/,/g, '');
  let text = `${d(startMs)}, ${time.format(startMs)}`;
  if (endMs !== undefined && endMs > startMs) text += d(endMs) === d(startMs) ? `–${time.format(endMs)}` : ` – ${d(endMs)}, ${time.format(endMs)}`;
  return `${text} (${zoneLabel})`;
}

function allDay(start: EventTime, end: EventTime | undefined): string {
  const date = new Intl.DateTimeFormat('en-GB', { ...DATE, timeZone: 'UTC' });
  const d = (iso: string): string => date.format(Date.parse(iso)).replace(/,/g, '');
  // DTEND of a date is exclusive: a one-day event ends the next day.
  const last = end?.allDay ? Date.parse(end.utc) - 86_400_000 : undefined;
  if (last === undefined || last <= Date.parse(start.utc)) return `${d(start.utc)} (all day)`;
  return `${d(start.utc)} – ${d(new Date(last).toISOString())} (all day)`;
}

function stripZone(text: string): string {
  return text.replace(/ \([^)]*\)$/, '');
}

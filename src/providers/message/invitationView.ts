// A calendar part → the invitation card of the message view. No vscode (unit-tested). Times go to
// the webview as instants and wall times (shared/invitationTime.ts): the user's zone is the UI's,
// which in a remote window is not the extension host's.
import type { CalendarParty, EventTime, Invitation } from '../../protocol/calendar/invitation';
import { MAX_CALENDAR_PART_BYTES } from '../../protocol/calendar/limits';
import { MailError } from '../../protocol/errors';
import type { CalendarPart } from '../../protocol/mime/types';
import { displayText } from '../../shared/displayText';
import type { InvitationTimes } from '../../shared/invitationTime';
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
  return { kind: 'invalid', heading: 'Calendar data', problem: displayText(problem), title: '', location: '', organizer: '', attendees: [], attendeesOmitted: 0, description: '', comment: '', sequence: 0, canAnswer: false };
}

export function buildInvitationView(inv: Invitation, ctx: InvitationContext): InvitationView {
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
  if (inv.start) view.time = invitationTimes(inv.start, inv.end);
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

/** What the webview needs to show the event's time in the user's zone and the organiser's. */
export function invitationTimes(start: EventTime, end: EventTime | undefined): InvitationTimes {
  const times: InvitationTimes = { start: start.utc, allDay: start.allDay, startWritten: start.written };
  if (end) times.end = end.utc;
  if (start.zone) times.zone = displayText(start.zone);
  if (end?.written && end.zone === start.zone) times.endWritten = end.written;
  return times;
}

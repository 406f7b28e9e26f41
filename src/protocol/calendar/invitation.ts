/**
 * An iCalendar part (RFC 5545) as an invitation (RFC 5546 iTIP): what the message view shows and
 * what a reply needs. Parsed with ical.js, loaded lazily (loadIcal). The part is hostile input:
 * size, line count, nesting and component count are checked before ical.js sees it, time zones
 * with rules no calendar writes are refused (their expansion would run for ever), and every failure
 * is a MailError 'CalendarInvalid' with a sentence for the view.
 */
import type IcalModule from 'ical.js' with { 'resolution-mode': 'import' };
import { MailError } from '../errors';
import { loadIcal } from './loadIcal';
import { MAX_ATTENDEES_SHOWN, MAX_CALENDAR_LINES, MAX_CALENDAR_PART_BYTES, MAX_COMPONENT_DEPTH, MAX_COMPONENTS, MAX_DESCRIPTION_CHARS, MAX_FIELD_CHARS, MAX_REPEATING_ZONE_RULES } from './limits';
import { RecurrenceRule, recurrenceInWords } from './recurrenceText';
import { instantOf, isKnownZone } from './zones';

type Component = InstanceType<typeof IcalModule.Component>;
type Property = InstanceType<typeof IcalModule.Property>;
type Time = InstanceType<typeof IcalModule.Time>;
type Recur = InstanceType<typeof IcalModule.Recur>;

export interface CalendarParty {
  /** The mailto: address, lower-cased; '' when the CAL-ADDRESS is not mailto:. */
  address: string;
  name: string;
  /** NEEDS-ACTION, ACCEPTED, TENTATIVE, DECLINED, DELEGATED (upper-case; NEEDS-ACTION when absent). */
  partstat: string;
  /** REQ-PARTICIPANT, OPT-PARTICIPANT, CHAIR, NON-PARTICIPANT. */
  role: string;
}

export interface EventTime {
  /** The instant, ISO 8601 in UTC; for an all-day date midnight UTC of that date. */
  utc: string;
  allDay: boolean;
  /** The organiser's zone: a TZID (with or without VTIMEZONE), 'UTC', or undefined when floating. */
  zone?: string;
  /** The wall time as the organiser wrote it, `YYYY-MM-DDTHH:MM:SS` (or `YYYY-MM-DD`). */
  written: string;
}

export interface Invitation {
  /** The VCALENDAR's METHOD, upper-case: REQUEST, CANCEL, REPLY, PUBLISH, …; '' when absent. */
  method: string;
  uid: string;
  sequence: number;
  summary: string;
  location: string;
  description: string;
  /** The event's STATUS, upper-case (CANCELLED, CONFIRMED, TENTATIVE); '' when absent. */
  status: string;
  organizer?: CalendarParty;
  attendees: CalendarParty[];
  /** Attendees past MAX_ATTENDEES_SHOWN, counted only. */
  attendeesOmitted: number;
  start?: EventTime;
  end?: EventTime;
  recurrence?: { rule: string; words: string };
  /** RECURRENCE-ID of the event, as an iCalendar value in UTC (`20260706T080000Z`) or a DATE (`20260706`). */
  recurrenceId?: string;
  /** Further VEVENTs of the same part (exceptions of a series), counted only. */
  otherEvents: number;
  /** COMMENT of the event (a reply's words). */
  comment: string;
}

export interface ParseInvitationOptions {
  /** The zone floating times are read in (the user's); default the system's. */
  timeZone?: string;
}

/** The sentence every refusal starts with. */
const CANNOT = 'This invitation cannot be shown';

export function parseInvitation(text: string, options: ParseInvitationOptions = {}): Invitation {
  checkShape(text);
  const ICAL = loadIcal();
  let root: Component;
  try {
    root = new ICAL.Component(ICAL.parse(text) as unknown[]);
  } catch (err) {
    throw invalid(`${CANNOT}: its calendar data is broken (${String(err instanceof Error ? err.message : err).slice(0, 200)}).`, err);
  }
  if (root.name !== 'vcalendar') throw invalid(`${CANNOT}: the part is not a calendar (VCALENDAR).`);
  checkTimezones(root);
  const events = root.getAllSubcomponents('vevent');
  if (events.length === 0) throw invalid(`${CANNOT}: the calendar holds no event (only to-dos or free/busy data, which Mailroom does not show).`);
  const event = events.find((e) => !e.hasProperty('recurrence-id')) ?? events[0]!;
  const zone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    shortenTimezoneRules(ICAL, root, event);
    return readEvent(ICAL, root, event, events.length - 1, zone);
  } catch (err) {
    if (MailError.is(err)) throw err;
    throw invalid(`${CANNOT}: its event could not be read (${String(err instanceof Error ? err.message : err).slice(0, 200)}).`, err);
  }
}

function readEvent(ICAL: typeof IcalModule, root: Component, event: Component, otherEvents: number, userZone: string): Invitation {
  const uid = text(event, 'uid');
  if (!uid) throw invalid(`${CANNOT}: its event has no UID, so no calendar could match an answer to it.`);
  const attendees = event.getAllProperties('attendee');
  const invitation: Invitation = {
    method: text(root, 'method').toUpperCase(),
    uid,
    sequence: sequenceOf(event),
    summary: cut(text(event, 'summary'), MAX_FIELD_CHARS),
    location: cut(text(event, 'location'), MAX_FIELD_CHARS),
    description: cut(text(event, 'description'), MAX_DESCRIPTION_CHARS),
    status: text(event, 'status').toUpperCase(),
    attendees: attendees.slice(0, MAX_ATTENDEES_SHOWN).map(party),
    attendeesOmitted: Math.max(0, attendees.length - MAX_ATTENDEES_SHOWN),
    otherEvents,
    comment: cut(text(event, 'comment'), MAX_DESCRIPTION_CHARS),
  };
  const organizer = event.getFirstProperty('organizer');
  if (organizer) invitation.organizer = party(organizer);
  const start = eventTime(event.getFirstProperty('dtstart'), userZone);
  if (start) invitation.start = start;
  const end = eventTime(event.getFirstProperty('dtend'), userZone) ?? endFromDuration(ICAL, event, start);
  if (end) invitation.end = end;
  const rrule = event.getFirstPropertyValue('rrule') as Recur | null;
  if (rrule && typeof rrule === 'object') {
    const rule = ruleOf(rrule);
    invitation.recurrence = { rule: rule.text, words: recurrenceInWords(rule) };
  }
  const recurrenceId = event.getFirstProperty('recurrence-id');
  const rid = recurrenceId ? eventTime(recurrenceId, userZone) : undefined;
  if (rid) invitation.recurrenceId = rid.allDay ? rid.written.replace(/-/g, '') : rid.utc.replace(/[-:]/g, '').replace(/\.\d+/, '');
  return invitation;
}

/** Cheap checks before ical.js reads anything: size, lines, nesting, components. */
function checkShape(text: string): void {
  if (text.length > MAX_CALENDAR_PART_BYTES) {
    throw invalid(`${CANNOT}: its calendar data is ${Math.ceil(text.length / 1024)} KB, more than the ${MAX_CALENDAR_PART_BYTES / 1024} KB Mailroom reads. Save the attachment to open it in a calendar.`);
  }
  const lines = text.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  if (lines.length > MAX_CALENDAR_LINES) throw invalid(`${CANNOT}: its calendar data has ${lines.length} lines, more than the ${MAX_CALENDAR_LINES} Mailroom reads.`);
  let depth = 0;
  let components = 0;
  for (const line of lines) {
    if (/^BEGIN:/i.test(line)) {
      depth++;
      components++;
      if (depth > MAX_COMPONENT_DEPTH) throw invalid(`${CANNOT}: its calendar data is nested ${depth} levels deep; real invitations use 3.`);
      if (components > MAX_COMPONENTS) throw invalid(`${CANNOT}: its calendar data has more than ${MAX_COMPONENTS} components.`);
    } else if (/^END:/i.test(line)) {
      depth--;
    }
  }
  if (components === 0) throw invalid(`${CANNOT}: the part holds no calendar data.`);
}

/**
 * Time zone rules are expanded year by year by ical.js: a rule that repeats more often than yearly
 * (no calendar writes one), a start before 1600 or hundreds of repeating rules would make that
 * expansion long. Refused.
 */
function checkTimezones(root: Component): void {
  let repeating = 0;
  for (const tz of root.getAllSubcomponents('vtimezone')) {
    for (const rules of [...tz.getAllSubcomponents('standard'), ...tz.getAllSubcomponents('daylight')]) {
      if (rules.hasProperty('rrule') && ++repeating > MAX_REPEATING_ZONE_RULES) {
        throw invalid(`${CANNOT}: its time zones have more than ${MAX_REPEATING_ZONE_RULES} repeating rules; real ones have two per zone.`);
      }
      for (const rrule of rules.getAllProperties('rrule')) {
        const value = rrule.getFirstValue() as Recur;
        if (value?.freq !== 'YEARLY') throw invalid(`${CANNOT}: its time zone ${text(tz, 'tzid') || '(unnamed)'} changes ${String(value?.freq ?? '').toLowerCase() || 'by an unreadable rule'}, not yearly.`);
      }
      const start = rules.getFirstPropertyValue('dtstart') as Time | null;
      if (start && typeof start === 'object' && start.year < 1600) throw invalid(`${CANNOT}: its time zone ${text(tz, 'tzid') || '(unnamed)'} starts in the year ${start.year}.`);
    }
  }
}

/**
 * ical.js expands a repeating zone rule from its DTSTART: Outlook writes 1601, so every invitation
 * from it would walk 425 years (about half a second). A FREQ=YEARLY rule without UNTIL or COUNT
 * gives the same changes in every year, so its DTSTART is moved to January of the year before the
 * event's earliest time: the changes from there on are the same, and the walk is a few years long.
 */
function shortenTimezoneRules(ICAL: typeof IcalModule, root: Component, event: Component): void {
  const years = ['dtstart', 'dtend', 'recurrence-id']
    .map((name) => event.getFirstPropertyValue(name) as Time | null)
    .filter((t): t is Time => !!t && typeof t === 'object' && typeof t.year === 'number')
    .map((t) => t.year);
  if (!years.length) return;
  const from = Math.min(...years) - 1;
  for (const tz of root.getAllSubcomponents('vtimezone')) {
    for (const rules of [...tz.getAllSubcomponents('standard'), ...tz.getAllSubcomponents('daylight')]) {
      const rrules = rules.getAllProperties('rrule');
      if (rrules.length !== 1) continue;
      const recur = rrules[0]!.getFirstValue() as Recur;
      const dtstart = rules.getFirstProperty('dtstart');
      const start = dtstart?.getFirstValue() as Time | null;
      if (!dtstart || !start || typeof start !== 'object' || recur.until || recur.count || start.year >= from) continue;
      dtstart.setValue(ICAL.Time.fromData({ year: from, month: 1, day: 1, hour: start.hour, minute: start.minute, second: start.second, isDate: false }));
    }
  }
}

function eventTime(prop: Property | null, userZone: string): EventTime | undefined {
  if (!prop) return undefined;
  const value = prop.getFirstValue() as Time | null;
  if (!value || typeof value !== 'object' || typeof (value as Partial<Time>).toJSDate !== 'function') return undefined;
  const written = value.isDate ? pad(value.year, 4) + '-' + pad(value.month) + '-' + pad(value.day) : value.toString().replace(/Z$/, '').slice(0, 19);
  if (value.isDate) {
    return { utc: new Date(Date.UTC(value.year, value.month - 1, value.day)).toISOString(), allDay: true, written };
  }
  const tzid = String(prop.getFirstParameter('tzid') ?? '');
  const wall = { year: value.year, month: value.month, day: value.day, hour: value.hour, minute: value.minute, second: value.second };
  const zoneId = value.zone?.tzid;
  if (zoneId === 'UTC' && !tzid) return { utc: new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second)).toISOString(), allDay: false, zone: 'UTC', written };
  // An IANA name the system knows is read with the system's zone data, as Thunderbird does (it is
  // kept current; a VTIMEZONE beside it says the same or less); Outlook's Windows names and other
  // custom zones need their VTIMEZONE.
  if (tzid && isKnownZone(tzid)) return { utc: new Date(instantOf(wall, tzid)).toISOString(), allDay: false, zone: tzid, written };
  if (tzid && zoneId === tzid) return { utc: new Date(value.toUnixTime() * 1000).toISOString(), allDay: false, zone: tzid, written };
  // An unknown TZID without a VTIMEZONE is read as floating.
  return { utc: new Date(instantOf(wall, userZone)).toISOString(), allDay: false, written };
}

function endFromDuration(ICAL: typeof IcalModule, event: Component, start: EventTime | undefined): EventTime | undefined {
  const duration = event.getFirstPropertyValue('duration');
  if (!start || !(duration instanceof ICAL.Duration)) return undefined;
  const ms = Date.parse(start.utc) + duration.toSeconds() * 1000;
  if (!Number.isFinite(ms)) return undefined;
  const end: EventTime = { utc: new Date(ms).toISOString(), allDay: start.allDay, written: '' };
  if (start.zone) end.zone = start.zone;
  return end;
}

function ruleOf(recur: Recur): RecurrenceRule {
  const rule: RecurrenceRule = {
    freq: String(recur.freq ?? ''),
    interval: Number(recur.interval) || 1,
    parts: (recur.parts ?? {}) as RecurrenceRule['parts'],
    text: cut(recur.toString(), MAX_FIELD_CHARS),
  };
  if (recur.until) rule.until = recur.until.toString().slice(0, 10);
  if (typeof recur.count === 'number') rule.count = recur.count;
  return rule;
}

function party(prop: Property): CalendarParty {
  const value = String(prop.getFirstValue() ?? '');
  const mailto = /^mailto:/i.test(value) ? value.slice(7).trim().toLowerCase() : '';
  return {
    address: mailto,
    name: cut(String(prop.getFirstParameter('cn') ?? ''), MAX_FIELD_CHARS),
    partstat: String(prop.getFirstParameter('partstat') ?? 'NEEDS-ACTION').toUpperCase(),
    role: String(prop.getFirstParameter('role') ?? 'REQ-PARTICIPANT').toUpperCase(),
  };
}

function sequenceOf(event: Component): number {
  const value = Number(event.getFirstPropertyValue('sequence') ?? 0);
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

function text(component: Component, name: string): string {
  const value = component.getFirstPropertyValue(name);
  return value === null || value === undefined ? '' : String(value);
}

function cut(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function invalid(message: string, cause?: unknown): MailError {
  return new MailError('CalendarInvalid', message, cause === undefined ? {} : { cause });
}

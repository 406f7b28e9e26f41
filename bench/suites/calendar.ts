// calendar.parse: what the invitation card adds to opening a message. Baseline: the MIME parse of
// the same invitation message (parseMessageStream), which runs for every message anyway; measured:
// parseInvitation of its calendar part (ical.js, zone and recurrence) on top. calendar.outlookZone:
// an Outlook-style VTIMEZONE (Windows TZID, rules from 1601) against the same baseline: the rule
// shortening keeps it near the IANA case instead of a 425-year walk. Both fail over 1.5× the baseline.
import { parseInvitation } from '../../src/protocol/calendar/invitation';
import { parseMessageStream } from '../../src/protocol/mime/parseMessageStream';
import { ERIN_INVITATIONS, invitationMessage } from '../../test/fixtures/invitations';
import { BenchSuite, median } from '../report';

const SAMPLES = 31;
const LIMIT = 1.5;

const OUTLOOK = [
  'BEGIN:VCALENDAR',
  'METHOD:REQUEST',
  'PRODID:Microsoft Exchange Server 2010',
  'VERSION:2.0',
  'BEGIN:VTIMEZONE',
  'TZID:W. Europe Standard Time',
  'BEGIN:STANDARD',
  'DTSTART:16010101T030000',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10',
  'END:STANDARD',
  'BEGIN:DAYLIGHT',
  'DTSTART:16010101T020000',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3',
  'END:DAYLIGHT',
  'END:VTIMEZONE',
  'BEGIN:VEVENT',
  'ORGANIZER;CN=Olga Organiser:mailto:olga@example.test',
  'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Erin Evans:mailto:erin@example.test',
  'UID:040000008200E00074C5B7101A82E00800000000',
  'SUMMARY;LANGUAGE=en-US:Weekly planning',
  'DTSTART;TZID=W. Europe Standard Time:20260706T100000',
  'DTEND;TZID=W. Europe Standard Time:20260706T104500',
  'RRULE:FREQ=WEEKLY;UNTIL=20270301T000000Z;INTERVAL=1;BYDAY=MO;WKST=MO',
  'SEQUENCE:0',
  'DTSTAMP:20260620T090000Z',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

export const run: BenchSuite = async ({ emit, fail }) => {
  const raw = invitationMessage(ERIN_INVITATIONS[0]!);
  const parsed = await parseMessageStream(raw);
  const text = parsed.calendar?.text;
  if (!text) {
    fail('calendar.parse: the invitation message has no calendar part');
    return;
  }
  parseInvitation(text); // loads ical.js once, outside the samples
  parseInvitation(OUTLOOK);
  const mime: number[] = [];
  const calendar: number[] = [];
  const outlook: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    let t = process.hrtime.bigint();
    await parseMessageStream(raw);
    mime.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    parseInvitation(text);
    calendar.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    parseInvitation(OUTLOOK);
    outlook.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const base = median(mime);
  const results: Array<[string, number]> = [
    ['calendar.parse.ms', median(calendar)],
    ['calendar.outlookZone.ms', median(outlook)],
  ];
  for (const [name, value] of results) {
    emit(name, value, 'ms', base, { bytes: name === 'calendar.parse.ms' ? text.length : OUTLOOK.length });
    if (value > base * LIMIT) fail(`${name} is ${value.toFixed(2)} ms, over ${LIMIT}× the MIME parse of the message (${base.toFixed(2)} ms)`);
  }
};

// Invitations: ical.js parsing of what a calendar program sends (REQUEST, CANCEL, updated SEQUENCE),
// times in the user's and the organiser's zone (VTIMEZONE, a bare IANA TZID, floating, all-day),
// the card the message view draws, and hostile calendar data refused with a sentence.
import * as assert from 'node:assert/strict';
import { parseInvitation } from '../../src/protocol/calendar/invitation';
import { MAX_CALENDAR_LINES, MAX_CALENDAR_PART_BYTES } from '../../src/protocol/calendar/limits';
import { MailError } from '../../src/protocol/errors';
import { parseMessageStream } from '../../src/protocol/mime/parseMessageStream';
import { buildInvitationView, readInvitation } from '../../src/providers/message/invitationView';
import { formatInvitationTimes, InvitationTimes, TimeFormatOptions } from '../../src/shared/invitationTime';
import { parseFromWebview } from '../../src/shared/messageView';
import { ERIN_ADDRESS, ERIN_INVITATIONS, invitationCalendar, invitationMessage, ORGANIZER } from '../fixtures/invitations';

type EventTimeOf = ReturnType<typeof parseInvitation>['start'];
const [SERIES, UPDATED, CANCELLED] = ERIN_INVITATIONS as [typeof ERIN_INVITATIONS[0], typeof ERIN_INVITATIONS[0], typeof ERIN_INVITATIONS[0]];

function calendarError(fn: () => unknown): MailError {
  try {
    fn();
  } catch (err) {
    assert.ok(MailError.is(err), `a MailError, got ${String(err)}`);
    assert.equal(err.code, 'CalendarInvalid');
    return err;
  }
  assert.fail('expected CalendarInvalid');
}

function ics(...lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
}
/**
 * The card's time as the webview formats it: in `zone` (the UI's), English as the en-GB display
 * language writes it; ICU's thin and narrow no-break spaces (they vary by ICU version) as spaces.
 */
const shown = (time: InvitationTimes | undefined, zone: string, locale = 'en-GB'): ReturnType<typeof formatInvitationTimes> => {
  assert.ok(time, 'the card has a time');
  const options: TimeFormatOptions = { zone, locale, allDay: 'all day' };
  const plain = (text: string): string => text.replace(/[\u2009\u202f\u00a0]/g, ' ');
  const { when, whenOrganizer } = formatInvitationTimes(time, options);
  return whenOrganizer === undefined ? { when: plain(when) } : { when: plain(when), whenOrganizer: plain(whenOrganizer) };
};
const EVENT = (...lines: string[]): string[] => ['BEGIN:VEVENT', 'UID:u1@example.test', 'DTSTAMP:20260101T000000Z', ...lines, 'END:VEVENT'];

describe('Calendar invitations: parsing (ical.js)', () => {
  it('reads a REQUEST from a calendar program: title, organiser, attendees and their answers, time in its zone, recurrence in words', () => {
    const inv = parseInvitation(invitationCalendar(SERIES), { timeZone: 'America/New_York' });
    assert.equal(inv.method, 'REQUEST');
    assert.equal(inv.uid, SERIES.uid);
    assert.equal(inv.sequence, 0);
    assert.equal(inv.summary, 'Weekly planning');
    assert.equal(inv.location, 'Room 4.12, Alexanderplatz');
    assert.deepEqual(inv.organizer, { address: ORGANIZER.address, name: ORGANIZER.name, partstat: 'NEEDS-ACTION', role: 'REQ-PARTICIPANT' });
    assert.deepEqual(
      inv.attendees.map((a) => [a.address, a.partstat, a.role]),
      [
        [ORGANIZER.address, 'ACCEPTED', 'CHAIR'],
        [ERIN_ADDRESS, 'NEEDS-ACTION', 'REQ-PARTICIPANT'],
        ['bob@example.test', 'TENTATIVE', 'REQ-PARTICIPANT'],
        ['dave@example.test', 'DECLINED', 'OPT-PARTICIPANT'],
      ],
    );
    // 10:00 CEST (UTC+2) is 08:00 UTC.
    assert.deepEqual(inv.start, { utc: '2026-07-06T08:00:00.000Z', allDay: false, zone: 'Europe/Berlin', written: '2026-07-06T10:00:00' });
    assert.equal(inv.end?.utc, '2026-07-06T08:45:00.000Z');
    assert.deepEqual(inv.recurrence, { rule: 'FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301T000000Z', words: 'every week on Monday until 2027-03-01' });
    assert.equal(inv.recurrenceId, undefined);
  });

  it('applies the winter rule too (CET, UTC+1)', () => {
    const inv = parseInvitation(invitationCalendar({ ...SERIES, start: '2026-12-07T10:00:00', end: '2026-12-07T11:00:00' }));
    assert.equal(inv.start?.utc, '2026-12-07T09:00:00.000Z');
  });

  it('reads a zone only its VTIMEZONE defines (Outlook’s Windows names, rules from 1601), summer and winter', () => {
    const OUTLOOK_TZ = ['BEGIN:VTIMEZONE', 'TZID:W. Europe Standard Time', 'BEGIN:STANDARD', 'DTSTART:16010101T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10', 'END:STANDARD', 'BEGIN:DAYLIGHT', 'DTSTART:16010101T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3', 'END:DAYLIGHT', 'END:VTIMEZONE'];
    const at = (wall: string): EventTimeOf => parseInvitation(ics('METHOD:REQUEST', ...OUTLOOK_TZ, ...EVENT(`DTSTART;TZID=W. Europe Standard Time:${wall}`))).start;
    assert.deepEqual(at('20260706T100000'), { utc: '2026-07-06T08:00:00.000Z', allDay: false, zone: 'W. Europe Standard Time', written: '2026-07-06T10:00:00' });
    assert.equal(at('20260115T100000')?.utc, '2026-01-15T09:00:00.000Z');
    assert.equal(at('20261025T040000')?.utc, '2026-10-25T03:00:00.000Z', 'the day the clocks go back, after the change');
    assert.equal(at('99990701T100000')?.utc, '9999-07-01T08:00:00.000Z', 'the rules hold in any year');
  });

  it('reads a CANCEL and an updated SEQUENCE as such', () => {
    const cancel = parseInvitation(invitationCalendar(CANCELLED));
    assert.equal(cancel.method, 'CANCEL');
    assert.equal(cancel.status, 'CANCELLED');
    const updated = parseInvitation(invitationCalendar(UPDATED));
    assert.equal(updated.method, 'REQUEST');
    assert.equal(updated.sequence, 2);
  });

  it('reads a TZID without VTIMEZONE as the IANA zone, a time without TZID as the user’s (floating), Z as UTC, a DATE as all day', () => {
    const bare = parseInvitation(ics('METHOD:REQUEST', ...EVENT('DTSTART;TZID=Asia/Tokyo:20260301T090000')), { timeZone: 'Europe/London' });
    assert.deepEqual(bare.start, { utc: '2026-03-01T00:00:00.000Z', allDay: false, zone: 'Asia/Tokyo', written: '2026-03-01T09:00:00' });
    const floating = parseInvitation(ics(...EVENT('DTSTART:20260301T090000')), { timeZone: 'America/New_York' });
    assert.equal(floating.start?.utc, '2026-03-01T14:00:00.000Z');
    assert.equal(floating.start?.zone, undefined);
    const unknownZone = parseInvitation(ics(...EVENT('DTSTART;TZID=Nowhere/Atlantis:20260301T090000')), { timeZone: 'UTC' });
    assert.equal(unknownZone.start?.utc, '2026-03-01T09:00:00.000Z', 'an unknown TZID without VTIMEZONE is read as floating');
    const utc = parseInvitation(ics(...EVENT('DTSTART:20260301T090000Z', 'DURATION:PT30M')));
    assert.deepEqual([utc.start?.utc, utc.start?.zone, utc.end?.utc], ['2026-03-01T09:00:00.000Z', 'UTC', '2026-03-01T09:30:00.000Z']);
    const day = parseInvitation(ics(...EVENT('DTSTART;VALUE=DATE:20260301', 'DTEND;VALUE=DATE:20260303')));
    assert.equal(day.start?.allDay, true);
    const dayTimes = buildInvitationView(day, { ownAddresses: [] }).time;
    assert.equal(shown(dayTimes, 'Asia/Tokyo').when, 'Sun, 1 Mar – Mon, 2 Mar 2026 (all day)');
    assert.equal(shown(dayTimes, 'America/Los_Angeles').when, 'Sun, 1 Mar – Mon, 2 Mar 2026 (all day)', 'dates are the same dates in every zone');
    const floatingTimes = buildInvitationView(floating, { ownAddresses: [] }).time;
    assert.deepEqual(shown(floatingTimes, 'Asia/Tokyo'), { when: 'Sun, 1 Mar 2026, 09:00 (Asia/Tokyo)' }, 'a floating time is the same wall time in the user’s zone, whatever the host read it in');
  });

  it('keeps the RECURRENCE-ID of an occurrence, in UTC', () => {
    const inv = parseInvitation(
      ics('METHOD:REQUEST', 'BEGIN:VTIMEZONE', 'TZID:Europe/Berlin', 'BEGIN:STANDARD', 'DTSTART:19701025T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU', 'END:STANDARD', 'BEGIN:DAYLIGHT', 'DTSTART:19700329T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', 'END:DAYLIGHT', 'END:VTIMEZONE', ...EVENT('RECURRENCE-ID;TZID=Europe/Berlin:20260713T100000', 'DTSTART;TZID=Europe/Berlin:20260713T110000', 'ORGANIZER:mailto:o@example.test')),
    );
    assert.equal(inv.recurrenceId, '20260713T080000Z');
  });
});

describe('Calendar invitations: the card', () => {
  const own = [ERIN_ADDRESS];

  it('shows the time in the user’s zone and, when it differs, as the organiser wrote it', () => {
    const view = buildInvitationView(parseInvitation(invitationCalendar(SERIES), { timeZone: 'America/New_York' }), { ownAddresses: own });
    assert.equal(view.kind, 'request');
    assert.equal(view.heading, 'Invitation');
    assert.deepEqual(view.time, { start: '2026-07-06T08:00:00.000Z', end: '2026-07-06T08:45:00.000Z', allDay: false, startWritten: '2026-07-06T10:00:00', endWritten: '2026-07-06T10:45:00', zone: 'Europe/Berlin' });
    assert.deepEqual(shown(view.time, 'America/New_York'), { when: 'Mon, 6 Jul 2026, 04:00–04:45 (America/New_York)', whenOrganizer: 'Mon, 6 Jul 2026, 10:00–10:45 (Europe/Berlin)' });
    assert.equal(view.recurrence, 'every week on Monday until 2027-03-01');
    assert.equal(view.organizer, `${ORGANIZER.name} <${ORGANIZER.address}>`);
    assert.deepEqual(
      view.attendees.map((a) => [a.answer, a.you, a.optional]),
      [
        ['accepted', false, false],
        ['has not answered', true, false],
        ['maybe', false, false],
        ['declined', false, true],
      ],
    );
    assert.equal(view.canAnswer, true);
    assert.deepEqual(shown(view.time, 'Europe/Berlin'), { when: 'Mon, 6 Jul 2026, 10:00–10:45 (Europe/Berlin)' }, 'no second line when the zones agree');
    assert.deepEqual(shown(view.time, 'Europe/Berlin', 'de'), { when: 'Mo., 6. Juli 2026, 10:00–10:45 Uhr (Europe/Berlin)' }, 'in VS Code’s display language');
  });

  it('leaves the user’s zone to the UI: an extension host in another zone (a remote window) changes nothing on the card', () => {
    const hostZone = process.env.TZ;
    try {
      // The remote machine runs in Auckland; the user (and the webview) are in New York.
      process.env.TZ = 'Pacific/Auckland';
      assert.equal(Intl.DateTimeFormat().resolvedOptions().timeZone, 'Pacific/Auckland', 'the host’s zone is Auckland');
      const view = buildInvitationView(parseInvitation(invitationCalendar(SERIES)), { ownAddresses: own });
      assert.ok(!JSON.stringify(view).includes('Auckland'), 'nothing on the card was formatted in the host’s zone');
      assert.deepEqual(shown(view.time, 'America/New_York'), { when: 'Mon, 6 Jul 2026, 04:00–04:45 (America/New_York)', whenOrganizer: 'Mon, 6 Jul 2026, 10:00–10:45 (Europe/Berlin)' });
    } finally {
      if (hostZone === undefined) delete process.env.TZ;
      else process.env.TZ = hostZone;
    }
  });

  it('shows a zone only its VTIMEZONE names (Outlook) as the organiser wrote it, and an event across midnight with both dates', () => {
    const outlook: InvitationTimes = { start: '2026-07-06T08:00:00.000Z', end: '2026-07-06T09:00:00.000Z', allDay: false, startWritten: '2026-07-06T10:00:00', endWritten: '2026-07-06T11:00:00', zone: 'W. Europe Standard Time' };
    assert.deepEqual(shown(outlook, 'Asia/Tokyo'), { when: 'Mon, 6 Jul 2026, 17:00–18:00 (Asia/Tokyo)', whenOrganizer: 'Mon, 6 Jul 2026, 10:00–11:00 (W. Europe Standard Time)' });
    const late: InvitationTimes = { start: '2026-07-06T20:00:00.000Z', end: '2026-07-06T23:30:00.000Z', allDay: false, startWritten: '2026-07-06T22:00:00', zone: 'Europe/Berlin' };
    assert.equal(shown(late, 'Asia/Tokyo').when, 'Tue, 7 Jul 2026, 05:00–08:30 (Asia/Tokyo)');
    assert.equal(shown(late, 'Europe/Berlin').when, 'Mon, 6 Jul 2026, 22:00 – Tue, 7 Jul 2026, 01:30 (Europe/Berlin)');
  });

  it('says an event was cancelled and offers no answer; an updated SEQUENCE is an updated invitation', () => {
    const cancel = buildInvitationView(parseInvitation(invitationCalendar(CANCELLED)), { ownAddresses: own });
    assert.deepEqual([cancel.kind, cancel.heading, cancel.canAnswer], ['cancelled', 'This event was cancelled', false]);
    const updated = buildInvitationView(parseInvitation(invitationCalendar(UPDATED)), { ownAddresses: own });
    assert.deepEqual([updated.kind, updated.heading, updated.canAnswer], ['updated', 'Updated invitation', true]);
  });

  it('remembers the answer, and says when it was to an earlier version', () => {
    const inv = parseInvitation(invitationCalendar(UPDATED));
    const same = buildInvitationView(inv, { ownAddresses: own, answered: { answer: 'ACCEPTED', at: '2026-06-21T10:00:00.000Z', sequence: 2 } });
    assert.deepEqual(same.answered, { answer: 'ACCEPTED', at: '2026-06-21T10:00:00.000Z', sequence: 2, outdated: false });
    assert.equal(same.attendees.find((x) => x.you)?.answer, 'accepted', 'the user’s own line shows the answer given');
    const older = buildInvitationView(inv, { ownAddresses: own, answered: { answer: 'DECLINED', at: '2026-06-20T10:00:00.000Z', sequence: 1 } });
    assert.equal(older.answered?.outdated, true);
    assert.equal(older.heading, 'Updated invitation: your answer was to an earlier version');
    assert.equal(older.attendees.find((x) => x.you)?.answer, 'has not answered', 'an answer to an earlier version does not answer this one');
  });

  it('cannot answer without an organiser address or an own address, and says why', () => {
    const noOrganizer = buildInvitationView(parseInvitation(ics('METHOD:REQUEST', ...EVENT('DTSTART:20260301T090000Z'))), { ownAddresses: own });
    assert.equal(noOrganizer.canAnswer, false);
    assert.match(noOrganizer.cannotAnswer ?? '', /no organiser address/);
    const noOwn = buildInvitationView(parseInvitation(invitationCalendar(SERIES)), { ownAddresses: [] });
    assert.match(noOwn.cannotAnswer ?? '', /no address to answer from/);
  });

  it('shows controls in names and titles instead of obeying them', () => {
    const view = buildInvitationView(parseInvitation(ics('METHOD:REQUEST', ...EVENT('DTSTART:20260301T090000Z', 'SUMMARY:Pay \u202Eexe.txt', 'ORGANIZER;CN=Evil\u202E:mailto:o@example.test'))), { ownAddresses: own });
    assert.ok(!view.title.includes('\u202E') && view.title.includes('U+202E'), view.title);
    assert.ok(!view.organizer.includes('\u202E'), view.organizer);
  });
});

describe('Calendar invitations: the MIME layer and the webview message', () => {
  it('keeps the text/calendar part (over the .ics attachment with the same data) and lists the attachment', async () => {
    const parsed = await parseMessageStream(invitationMessage(SERIES));
    assert.equal(parsed.calendar?.contentType, 'text/calendar');
    assert.equal(parsed.calendar?.text, invitationCalendar(SERIES).replace(/\r\n$/, ''), 'the part’s text as sent');
    assert.ok(parsed.attachments.some((a) => a.filename === 'invite.ics'));
    const { invitation } = readInvitation(parsed.calendar!);
    assert.equal(invitation?.uid, SERIES.uid);
  });

  it('finds an invitation sent only as an .ics attachment, and lets a later text/calendar part win over it', async () => {
    const calendar = invitationCalendar(SERIES);
    const part = (headers: string[], body: string): string[] => ['--b', ...headers, '', body];
    const message = (...parts: string[][]): Buffer =>
      Buffer.from(['From: o@example.test', 'To: erin@example.test', 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '', ...parts.flat(), '--b--', ''].join('\r\n'));
    const ics = part(['Content-Type: application/ics', 'Content-Disposition: attachment; filename="meeting.ics"'], calendar);
    const only = await parseMessageStream(message(part(['Content-Type: text/plain'], 'See attached.'), ics));
    assert.equal(only.calendar?.contentType, 'application/ics');
    assert.equal(readInvitation(only.calendar!).invitation?.uid, SERIES.uid);
    const other = invitationCalendar(UPDATED);
    const both = await parseMessageStream(message(ics, part(['Content-Type: text/calendar; method=REQUEST'], other)));
    assert.equal(both.calendar?.contentType, 'text/calendar');
    assert.equal(readInvitation(both.calendar!).invitation?.uid, UPDATED.uid);
  });

  it('keeps only the size of a calendar part over the bound; the card says it is too large', async () => {
    const huge = ics(...EVENT('DTSTART:20260301T090000Z', `DESCRIPTION:${'x'.repeat(MAX_CALENDAR_PART_BYTES)}`));
    const parsed = await parseMessageStream(invitationMessage(SERIES, huge));
    assert.equal(parsed.calendar?.text, undefined);
    assert.ok((parsed.calendar?.size ?? 0) > MAX_CALENDAR_PART_BYTES);
    assert.match(readInvitation(parsed.calendar!).problem ?? '', /^This invitation cannot be shown: its calendar data is \d+ KB, more than the 512 KB/);
  });

  it('validates the answer the webview sends', () => {
    assert.deepEqual(parseFromWebview({ type: 'invitation', answer: 'ACCEPTED', comment: 'ok' }), { type: 'invitation', answer: 'ACCEPTED', comment: 'ok' });
    assert.deepEqual(parseFromWebview({ type: 'invitation', answer: 'DECLINED' }), { type: 'invitation', answer: 'DECLINED', comment: '' });
    assert.equal(parseFromWebview({ type: 'invitation', answer: 'DELEGATED', comment: '' }), undefined);
    assert.equal(parseFromWebview({ type: 'invitation', answer: 'ACCEPTED', comment: 'x'.repeat(2001) }), undefined);
    assert.equal(parseFromWebview({ type: 'invitation', answer: 'ACCEPTED', comment: 5 }), undefined);
  });
});

describe('Calendar invitations: hostile calendar data', () => {
  it('refuses garbage, a calendar without events, and a broken component with a sentence', () => {
    assert.match(calendarError(() => parseInvitation('garbage\r\nmore garbage')).message, /^This invitation cannot be shown: the part holds no calendar data\.$/);
    assert.match(calendarError(() => parseInvitation('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n')).message, /its calendar data is broken/);
    assert.match(calendarError(() => parseInvitation(ics('BEGIN:VTODO', 'UID:t', 'END:VTODO'))).message, /holds no event/);
    assert.match(calendarError(() => parseInvitation(ics('BEGIN:VEVENT', 'DTSTART:20260301T090000Z', 'END:VEVENT'))).message, /no UID/);
    assert.match(calendarError(() => parseInvitation('BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nEND:VCARD\r\n')).message, /not a calendar/);
  });

  it('refuses deep nesting, too many lines and too many components before ical.js reads them', () => {
    const deep = ['BEGIN:VCALENDAR', ...Array.from({ length: 5000 }, (_, i) => `BEGIN:X-N${i}`), ...Array.from({ length: 5000 }, (_, i) => `END:X-N${4999 - i}`), 'END:VCALENDAR'].join('\r\n');
    assert.match(calendarError(() => parseInvitation(deep)).message, /nested 7 levels deep/);
    const lines = ics(...EVENT(...Array.from({ length: MAX_CALENDAR_LINES }, (_, i) => `X-L:${i}`)));
    assert.match(calendarError(() => parseInvitation(lines)).message, /lines, more than the 20000/);
    const many = ics(...Array.from({ length: 1001 }, (_, i) => EVENT(`SUMMARY:${i}`)).flat());
    assert.match(calendarError(() => parseInvitation(many)).message, /more than 1000 components/);
    assert.match(calendarError(() => parseInvitation('x'.repeat(MAX_CALENDAR_PART_BYTES + 1))).message, /more than the 512 KB/);
  });

  it('refuses a time zone whose rules no calendar writes (expanding them would not end soon)', () => {
    const tz = (freq: string, start = '19700329T020000'): string =>
      ics('BEGIN:VTIMEZONE', 'TZID:Evil', 'BEGIN:DAYLIGHT', `DTSTART:${start}`, 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', `RRULE:FREQ=${freq}`, 'END:DAYLIGHT', 'END:VTIMEZONE', ...EVENT('DTSTART;TZID=Evil:20260301T090000'));
    assert.match(calendarError(() => parseInvitation(tz('SECONDLY'))).message, /time zone Evil changes secondly, not yearly/);
    assert.match(calendarError(() => parseInvitation(tz('YEARLY', '00010101T000000'))).message, /starts in the year 1/);
    assert.equal(parseInvitation(tz('YEARLY')).start?.zone, 'Evil');
    const rules = Array.from({ length: 21 }, () => ['BEGIN:STANDARD', 'DTSTART:19701025T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU', 'END:STANDARD']).flat();
    assert.match(calendarError(() => parseInvitation(ics('BEGIN:VTIMEZONE', 'TZID:Many', ...rules, 'END:VTIMEZONE', ...EVENT('DTSTART;TZID=Many:20260301T090000')))).message, /more than 20 repeating rules/);
  });

  it('describes, but never expands, an event rule that repeats every second', () => {
    const started = process.hrtime.bigint();
    const inv = parseInvitation(ics(...EVENT('DTSTART:20260301T090000Z', 'RRULE:FREQ=SECONDLY;BYHOUR=1')));
    assert.equal(inv.recurrence?.words, 'every second (FREQ=SECONDLY;BYHOUR=1)');
    assert.ok(process.hrtime.bigint() - started < 5_000_000_000n);
  });
});

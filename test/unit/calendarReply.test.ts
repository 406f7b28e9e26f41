// Invitations answered: recurrence rules in words, the iTIP REPLY (RFC 5546) and its iMIP message
// (RFC 6047) read back with ical.js and the MIME parser, and the local store of answers.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseInvitation } from '../../src/protocol/calendar/invitation';
import { loadIcal } from '../../src/protocol/calendar/loadIcal';
import { recurrenceInWords, RecurrenceRule } from '../../src/protocol/calendar/recurrenceText';
import { buildReplyCalendar, buildReplyMessage, cannotAnswer } from '../../src/protocol/calendar/reply';
import { MailError } from '../../src/protocol/errors';
import { parseMessageStream } from '../../src/protocol/mime/parseMessageStream';
import { InvitationAnswers, MAX_ANSWERS } from '../../src/store/invitationAnswers';
import { ERIN_ADDRESS, ERIN_INVITATIONS, ERIN_NAME, invitationCalendar, ORGANIZER } from '../fixtures/invitations';

const [SERIES, UPDATED, CANCELLED] = ERIN_INVITATIONS as [typeof ERIN_INVITATIONS[0], typeof ERIN_INVITATIONS[0], typeof ERIN_INVITATIONS[0]];
const ERIN = { name: ERIN_NAME, address: ERIN_ADDRESS };
const NOW = new Date('2026-06-22T07:08:09Z');

/** The rule as ical.js parses it, in words. */
function words(rrule: string): string {
  const ICAL = loadIcal();
  const recur = ICAL.Recur.fromString(rrule);
  const rule: RecurrenceRule = { freq: recur.freq, interval: recur.interval, parts: recur.parts as RecurrenceRule['parts'], text: recur.toString() };
  if (recur.until) rule.until = recur.until.toString().slice(0, 10);
  if (recur.count) rule.count = recur.count;
  return recurrenceInWords(rule);
}

describe('Calendar invitations: recurrence in words', () => {
  const cases: Array<[string, string]> = [
    ['FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301T000000Z', 'every week on Monday until 2027-03-01'],
    ['FREQ=DAILY', 'every day'],
    ['FREQ=DAILY;INTERVAL=3;COUNT=10', 'every 3 days, 10 times'],
    ['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE', 'every 2 weeks on Monday and Wednesday'],
    ['FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', 'every week on weekdays'],
    ['FREQ=MONTHLY;BYDAY=-1FR', 'every month on the last Friday'],
    ['FREQ=MONTHLY;BYDAY=1MO,3MO', 'every month on the first Monday and the third Monday'],
    ['FREQ=MONTHLY;BYMONTHDAY=15', 'every month on day 15'],
    ['FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=1', 'every month on days 1 and 15, once'],
    ['FREQ=MONTHLY;BYMONTHDAY=-1', 'every month on the last day'],
    ['FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1', 'every month on the last weekday'],
    ['FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=5', 'every year on 5 March'],
    ['FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', 'every year on the fourth Thursday of November'],
    ['FREQ=YEARLY;BYMONTH=6', 'every year in June'],
    ['FREQ=WEEKLY;BYDAY=TU;BYHOUR=9,15', 'every week on Tuesday (FREQ=WEEKLY;BYDAY=TU;BYHOUR=9,15)'],
  ];
  for (const [rule, expected] of cases) {
    it(`${rule} → “${expected}”`, () => assert.equal(words(rule), expected));
  }
});

describe('Calendar invitations: the REPLY (RFC 5546, RFC 6047)', () => {
  const ICAL = loadIcal();
  const replyEvent = (calendar: string) => {
    const root = new ICAL.Component(ICAL.parse(calendar) as unknown[]);
    const events = root.getAllSubcomponents('vevent');
    assert.equal(events.length, 1, 'one VEVENT');
    return { root, event: events[0]! };
  };

  for (const answer of ['ACCEPTED', 'TENTATIVE', 'DECLINED'] as const) {
    it(`answers ${answer}: METHOD:REPLY, one ATTENDEE (the user) with PARTSTAT=${answer}, same UID and SEQUENCE, fresh DTSTAMP, the ORGANIZER`, () => {
      const invitation = parseInvitation(invitationCalendar(UPDATED));
      const { root, event } = replyEvent(buildReplyCalendar({ invitation, attendee: ERIN, answer, now: NOW }));
      assert.equal(root.getFirstPropertyValue('method'), 'REPLY');
      assert.equal(root.getFirstPropertyValue('version'), '2.0');
      assert.ok(String(root.getFirstPropertyValue('prodid')).length > 0);
      assert.equal(event.getFirstPropertyValue('uid'), UPDATED.uid);
      assert.equal(event.getFirstPropertyValue('sequence'), 2);
      assert.equal(String(event.getFirstPropertyValue('dtstamp')), '2026-06-22T07:08:09Z');
      const attendees = event.getAllProperties('attendee');
      assert.equal(attendees.length, 1);
      assert.equal(attendees[0]!.getFirstValue(), `mailto:${ERIN_ADDRESS}`);
      assert.equal(attendees[0]!.getFirstParameter('partstat'), answer);
      assert.equal(attendees[0]!.getFirstParameter('cn'), ERIN_NAME);
      assert.equal(event.getFirstProperty('organizer')?.getFirstValue(), `mailto:${ORGANIZER.address}`);
      assert.equal(event.hasProperty('recurrence-id'), false);
      assert.equal(event.hasProperty('comment'), false);
    });
  }

  it('carries RECURRENCE-ID for one occurrence, and the comment', () => {
    const invitation = { ...parseInvitation(invitationCalendar(SERIES)), recurrenceId: '20260713T080000Z' };
    const { event } = replyEvent(buildReplyCalendar({ invitation, attendee: ERIN, answer: 'DECLINED', comment: 'On holiday, sorry; back on the 20th.', now: NOW }));
    assert.equal(String(event.getFirstPropertyValue('recurrence-id')), '2026-07-13T08:00:00Z');
    assert.equal(event.getFirstPropertyValue('comment'), 'On holiday, sorry; back on the 20th.');
    const allDay = { ...parseInvitation(invitationCalendar(SERIES)), recurrenceId: '20260713' };
    const day = replyEvent(buildReplyCalendar({ invitation: allDay, attendee: ERIN, answer: 'ACCEPTED', now: NOW })).event.getFirstProperty('recurrence-id');
    assert.equal(day?.type, 'date');
    assert.equal(String(day?.getFirstValue()), '2026-07-13');
  });

  it('refuses to answer a cancellation or a calendar message that is not a REQUEST', () => {
    const cancel = parseInvitation(invitationCalendar(CANCELLED));
    assert.equal(cannotAnswer(cancel), 'This event was cancelled; there is nothing to answer.');
    assert.throws(() => buildReplyCalendar({ invitation: cancel, attendee: ERIN, answer: 'ACCEPTED' }), (e: unknown) => MailError.is(e, 'Unsupported'));
    const publish = parseInvitation(invitationCalendar(SERIES).replace('METHOD:REQUEST', 'METHOD:PUBLISH'));
    assert.match(cannotAnswer(publish) ?? '', /PUBLISH\) is not an invitation to answer/);
  });

  it('sends it as iMIP: From the attendee To the organiser, text/calendar; method=REPLY beside the text, threaded to the invitation', async () => {
    const invitation = parseInvitation(invitationCalendar(SERIES));
    const { built, subject, calendar } = await buildReplyMessage({ invitation, attendee: ERIN, answer: 'ACCEPTED', comment: 'See you Monday.', now: NOW, inReplyTo: SERIES.messageId });
    assert.equal(subject, 'Accepted: Weekly planning');
    assert.deepEqual(built.envelope, { from: ERIN_ADDRESS, to: [ORGANIZER.address] });
    const raw = built.wire.toString('utf8');
    assert.match(raw, /^Content-Type: text\/calendar; charset=utf-8; method=REPLY\r$/m);
    assert.match(raw, new RegExp(`^In-Reply-To: <${SERIES.messageId.replace(/\./g, '\\.')}>\r$`, 'm'));
    const parsed = await parseMessageStream(built.wire);
    assert.deepEqual(parsed.to.map((a) => a.address), [ORGANIZER.address]);
    assert.deepEqual(parsed.from.map((a) => a.address), [ERIN_ADDRESS]);
    assert.match(parsed.text, /Erin Evans <erin@example\.test> has accepted the invitation “Weekly planning”\.\n\nSee you Monday\./);
    assert.equal(parsed.calendar?.contentType, 'text/calendar');
    assert.equal(parsed.calendar?.text?.replace(/\r?\n$/, ''), calendar.replace(/\r\n$/, ''));
    const back = parseInvitation(parsed.calendar!.text!);
    assert.deepEqual([back.method, back.uid, back.attendees.map((a) => [a.address, a.partstat])], ['REPLY', SERIES.uid, [[ERIN_ADDRESS, 'ACCEPTED']]]);
  });
});

describe('Calendar invitations: remembered answers (global storage)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-invitations-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps an answer per account and event across restarts, the newest one winning', async () => {
    const key = InvitationAnswers.key('acc', SERIES.uid);
    const first = InvitationAnswers.in(dir);
    assert.equal(await first.get(key), undefined);
    await first.set(key, { answer: 'TENTATIVE', at: '2026-06-20T10:00:00.000Z', sequence: 0, messageId: SERIES.messageId });
    await first.set(key, { answer: 'ACCEPTED', at: '2026-06-21T10:00:00.000Z', sequence: 0, messageId: SERIES.messageId });
    const again = InvitationAnswers.in(dir);
    assert.equal((await again.get(key))?.answer, 'ACCEPTED');
    assert.equal(await again.get(InvitationAnswers.key('other-account', SERIES.uid)), undefined);
    assert.equal(await again.get(InvitationAnswers.key('acc', SERIES.uid, '20260713T080000Z')), undefined, 'an occurrence is its own event');
  });

  it('survives a damaged file (the answers are lost, the view is not) and keeps at most MAX_ANSWERS', async () => {
    fs.writeFileSync(path.join(dir, 'invitation-answers.json'), '{not json');
    const store = InvitationAnswers.in(dir);
    assert.equal(await store.get(InvitationAnswers.key('a', 'u')), undefined);
    const entries = Array.from({ length: MAX_ANSWERS + 5 }, (_, i) => [InvitationAnswers.key('a', `u${i}`), { answer: 'DECLINED', at: '2026-01-01T00:00:00.000Z', sequence: 0, messageId: '' }]);
    fs.writeFileSync(path.join(dir, 'invitation-answers.json'), JSON.stringify({ version: 1, answers: entries }));
    const full = InvitationAnswers.in(dir);
    await full.set(InvitationAnswers.key('a', 'newest'), { answer: 'ACCEPTED', at: '2026-01-02T00:00:00.000Z', sequence: 0, messageId: '' });
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'invitation-answers.json'), 'utf8')) as { answers: unknown[] };
    assert.equal(saved.answers.length, MAX_ANSWERS);
    assert.equal((await InvitationAnswers.in(dir).get(InvitationAnswers.key('a', 'u5'))), undefined, 'the oldest went first');
    assert.equal((await InvitationAnswers.in(dir).get(InvitationAnswers.key('a', 'newest')))?.answer, 'ACCEPTED');
  });
});

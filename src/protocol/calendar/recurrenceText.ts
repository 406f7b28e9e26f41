/**
 * An RRULE in words: "every week on Monday until 2027-03-01", "every 2 months on the last Friday",
 * "every year on 5 March, 10 times". Pure; takes the rule as ical.js's Recur holds it. Parts no
 * sentence covers (BYHOUR, BYWEEKNO, …) are not guessed at: the rule is quoted after the words.
 */

export interface RecurrenceRule {
  freq: string;
  interval: number;
  count?: number;
  /** The UNTIL date as written (YYYY-MM-DD). */
  until?: string;
  /** BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, …: values as ical.js parsed them. */
  parts: Record<string, ReadonlyArray<string | number>>;
  /** The RRULE as written, quoted when the words cannot say all of it. */
  text: string;
}

const UNITS: Record<string, [string, string]> = {
  SECONDLY: ['second', 'seconds'],
  MINUTELY: ['minute', 'minutes'],
  HOURLY: ['hour', 'hours'],
  DAILY: ['day', 'days'],
  WEEKLY: ['week', 'weeks'],
  MONTHLY: ['month', 'months'],
  YEARLY: ['year', 'years'],
};
const DAYS: Record<string, string> = { MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday' };
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ORDINALS: Record<number, string> = { 1: 'first', 2: 'second', 3: 'third', 4: 'fourth', 5: 'fifth', [-1]: 'last', [-2]: 'second to last' };
const SAID = new Set(['BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS']);

export function recurrenceInWords(rule: RecurrenceRule): string {
  const unit = UNITS[rule.freq];
  if (!unit) return `repeats (${rule.text})`;
  const interval = Number.isSafeInteger(rule.interval) && rule.interval > 1 ? rule.interval : 1;
  let words = interval === 1 ? `every ${unit[0]}` : `every ${interval} ${unit[1]}`;
  const byDay = (rule.parts.BYDAY ?? []).map(String);
  const byMonthDay = (rule.parts.BYMONTHDAY ?? []).map(Number);
  const byMonth = (rule.parts.BYMONTH ?? []).map(Number).filter((m) => m >= 1 && m <= 12);
  const bySetPos = (rule.parts.BYSETPOS ?? []).map(Number);
  let understood = true;

  const days = byDay.map(parseDay);
  if (days.some((d) => !d)) understood = false;
  const plainDays = days.filter((d): d is { pos: number; day: string } => !!d && d.pos === 0).map((d) => d.day);
  const nthDays = days.filter((d): d is { pos: number; day: string } => !!d && d.pos !== 0);

  if (bySetPos.length === 1 && plainDays.length && !nthDays.length && ORDINALS[bySetPos[0]]) {
    words += ` on the ${ORDINALS[bySetPos[0]]} ${dayList(plainDays, 'or')}`;
  } else {
    if (bySetPos.length) understood = false;
    if (plainDays.length) words += ` on ${dayList(plainDays, 'and')}`;
    if (nthDays.length) {
      if (nthDays.some((d) => !ORDINALS[d.pos])) understood = false;
      words += ` on ${join(nthDays.map((d) => `the ${ORDINALS[d.pos] ?? `${d.pos}.`} ${DAYS[d.day]}`), 'and')}`;
    }
  }
  if (byMonthDay.length) {
    const named = byMonthDay.map((d) => (d === -1 ? 'the last day' : d > 0 ? String(d) : `day ${d}`));
    if (byMonth.length && byMonthDay.every((d) => d > 0)) {
      words += ` on ${join(byMonth.flatMap((m) => byMonthDay.map((d) => `${d} ${MONTHS[m - 1]}`)), 'and')}`;
    } else {
      words += byMonthDay.length === 1 && byMonthDay[0] === -1 ? ' on the last day' : ` on ${byMonthDay.length === 1 ? 'day' : 'days'} ${join(named, 'and')}`;
      if (byMonth.length) words += ` of ${join(byMonth.map((m) => MONTHS[m - 1]), 'and')}`;
    }
  } else if (byMonth.length) {
    words += `${nthDays.length || plainDays.length ? ' of' : ' in'} ${join(byMonth.map((m) => MONTHS[m - 1]), 'and')}`;
  }
  if (rule.until) words += ` until ${rule.until}`;
  else if (rule.count !== undefined && rule.count > 0) words += rule.count === 1 ? ', once' : `, ${rule.count} times`;
  const rest = Object.keys(rule.parts).filter((k) => !SAID.has(k) && (rule.parts[k]?.length ?? 0) > 0);
  if (rest.length || !understood) words += ` (${rule.text})`;
  return words;
}

function parseDay(value: string): { pos: number; day: string } | undefined {
  const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(value.toUpperCase());
  return m ? { pos: m[1] ? Number(m[1]) : 0, day: m[2]! } : undefined;
}

function dayList(days: string[], conjunction: 'and' | 'or'): string {
  const set = new Set(days);
  if (set.size === 5 && ['MO', 'TU', 'WE', 'TH', 'FR'].every((d) => set.has(d))) return conjunction === 'and' ? 'weekdays' : 'weekday';
  if (set.size === 2 && set.has('SA') && set.has('SU')) return conjunction === 'and' ? 'weekends' : 'weekend day';
  return join(days.map((d) => DAYS[d] ?? d), conjunction);
}

function join(items: string[], conjunction: 'and' | 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

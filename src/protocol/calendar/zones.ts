/**
 * Wall times and zones with Intl only (no VS Code, no ical.js): what an instant is in a zone, and
 * which instant a wall time in a zone is. Used for TZIDs an invitation names without a VTIMEZONE
 * (an IANA name the system knows) and for floating times (the user's own zone).
 */

export interface WallTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** True when Intl knows `zone` (an IANA name such as Europe/Berlin). */
export function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall time of instant `ms` in `zone`. */
export function wallTimeIn(ms: number, zone: string): WallTime {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    // Zones come from mail: the cache stays small however many a message names.
    if (formats.size >= 64) formats.clear();
    formats.set(zone, format);
  }
  const parts = format.formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

/**
 * The instant (ms since the epoch) at which `zone`'s clocks show `wall`. Two rounds of offset
 * correction settle every real zone; a wall time skipped by a DST change lands after the gap.
 */
export function instantOf(wall: WallTime, zone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const seen = wallTimeIn(guess, zone);
    const seenAsUtc = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute, seen.second);
    guess += asUtc - seenAsUtc;
  }
  return guess;
}

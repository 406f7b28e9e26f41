/**
 * When an invitation's event takes place, as the card shows it: in the user's zone and, when that
 * reads differently, as the organiser wrote it (the ICS TZID). The host passes instants and the
 * written wall times; the webview formats them, because the user's zone is the one of the UI: in a
 * remote window the extension host runs on another machine, whose zone may not be the user's.
 * Intl only (no DOM, no vscode): the webview and the unit tests call the same code.
 */

export interface InvitationTimes {
  /** The start instant, ISO 8601 in UTC; for an all-day date, midnight UTC of that date. */
  start: string;
  end?: string;
  allDay: boolean;
  /** The start as the organiser wrote it, `YYYY-MM-DDTHH:MM:SS` (`YYYY-MM-DD` for a date). */
  startWritten: string;
  /** The end as written, when it was written in the start's zone ('' or absent otherwise, e.g. from DURATION). */
  endWritten?: string;
  /** The organiser's zone (a TZID, or 'UTC'); absent for floating times, which hold in any zone. */
  zone?: string;
}

export interface FormattedTimes {
  /** In the user's zone, e.g. "Mon, 6 Jul 2026, 10:00–10:45 (Europe/Berlin)". */
  when: string;
  /** As the organiser wrote it, with their zone, when it reads differently from `when`. */
  whenOrganizer?: string;
}

export interface TimeFormatOptions {
  /** The user's zone: the webview's own (Intl's default there). */
  zone: string;
  /** VS Code's display language (the page's lang); undefined is the runtime's default. */
  locale: string | undefined;
  /** The localized words for an event without times ("all day"). */
  allDay: string;
}

const DATE: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' };
const DATE_TIME: Intl.DateTimeFormatOptions = { ...DATE, hour: '2-digit', minute: '2-digit' };
const DAY_MS = 86_400_000;

export function formatInvitationTimes(t: InvitationTimes, options: TimeFormatOptions): FormattedTimes {
  const startMs = Date.parse(t.start);
  const endMs = t.end ? Date.parse(t.end) : undefined;
  if (t.allDay) {
    // DTEND of a date is exclusive: a one-day event ends the next day.
    const last = endMs !== undefined && endMs - DAY_MS > startMs ? endMs - DAY_MS : undefined;
    return { when: `${range(startMs, last, 'UTC', DATE, options.locale)} (${options.allDay})` };
  }
  const duration = endMs !== undefined && endMs > startMs ? endMs - startMs : undefined;
  const wallStart = wallMs(t.startWritten);
  if (!t.zone) {
    // Floating: the same wall time wherever the user is.
    const start = wallStart ?? startMs;
    return { when: `${range(start, duration !== undefined ? start + duration : undefined, 'UTC', DATE_TIME, options.locale)} (${options.zone})` };
  }
  const when = range(startMs, duration !== undefined ? startMs + duration : undefined, options.zone, DATE_TIME, options.locale);
  let organizer: string | undefined;
  if (knownZone(t.zone)) {
    organizer = range(startMs, duration !== undefined ? startMs + duration : undefined, t.zone, DATE_TIME, options.locale);
  } else if (wallStart !== undefined) {
    // A zone the runtime does not know (Outlook's Windows names): the wall times as written.
    const wallEnd = t.endWritten ? wallMs(t.endWritten) : undefined;
    organizer = range(wallStart, wallEnd !== undefined && wallEnd > wallStart ? wallEnd : undefined, 'UTC', DATE_TIME, options.locale);
  }
  const result: FormattedTimes = { when: `${when} (${options.zone})` };
  if (organizer !== undefined && organizer !== when) result.whenOrganizer = `${organizer} (${t.zone})`;
  return result;
}

function range(startMs: number, endMs: number | undefined, zone: string, fields: Intl.DateTimeFormatOptions, locale: string | undefined): string {
  const format = new Intl.DateTimeFormat(locale, { ...fields, timeZone: zone });
  return endMs !== undefined && endMs > startMs ? format.formatRange(startMs, endMs) : format.format(startMs);
}

/** A written wall time read as if it were UTC (formatted in UTC it shows as written). */
function wallMs(written: string | undefined): number | undefined {
  if (!written) return undefined;
  const ms = Date.parse(written.length === 10 ? `${written}T00:00:00Z` : `${written}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Bounds of the calendar layer. An iCalendar part is message content, so hostile: each bound says
 * why it is what it is, and what is past it gets a sentence instead of a parse.
 */

/**
 * Bytes of a calendar part the MIME layer keeps. Real invitations are a few KB (Outlook's with a
 * long HTML description about 60 KB); a part past this is named too large, not parsed.
 */
export const MAX_CALENDAR_PART_BYTES = 512 * 1024;

/** Content lines (after unfolding): a real invitation has tens to a few hundred, big attendee lists a few thousand. */
export const MAX_CALENDAR_LINES = 20_000;

/** BEGIN/END nesting: VCALENDAR > VTIMEZONE > STANDARD and VCALENDAR > VEVENT > VALARM are 3 deep. */
export const MAX_COMPONENT_DEPTH = 6;

/**
 * STANDARD/DAYLIGHT rules with an RRULE, over all VTIMEZONEs: ical.js expands each year by year, so
 * hundreds of them block the host for seconds. Real zones have two; an invitation names a few zones.
 */
export const MAX_REPEATING_ZONE_RULES = 20;

/** Components in all (events, their alarms and exceptions, time zones and their rules). */
export const MAX_COMPONENTS = 1000;

/** Attendees listed in the view; the rest are counted ("and 12 more"). */
export const MAX_ATTENDEES_SHOWN = 100;

/** Characters of SUMMARY, LOCATION and names kept for the view. */
export const MAX_FIELD_CHARS = 500;

/** Characters of DESCRIPTION kept for the view (the mail's own text usually says it again). */
export const MAX_DESCRIPTION_CHARS = 4000;

/** Characters of the comment a reply may carry (RFC 5546 COMMENT). */
export const MAX_REPLY_COMMENT_CHARS = 2000;

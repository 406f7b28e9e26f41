// ical.js (the iCalendar parser of Mozilla's calendar), bundled on its own as dist/calendar.js and
// loaded through loadIcal() when a message with a calendar part is opened: activation never parses it.
// The package is an ES module with a CommonJS build beside it; the types come from the ES side.
import type IcalModule from 'ical.js' with { 'resolution-mode': 'import' };

export type Ical = typeof IcalModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const ICAL = require('ical.js') as Ical;

import type * as Lib from './icalLib';

let cached: Lib.Ical | undefined;

/**
 * ical.js, loaded on first use. esbuild keeps `./icalLib` out of the host bundle (see esbuild.js), so
 * this require reads dist/calendar.js; under tsc it reads out/…/icalLib.js.
 */
export function loadIcal(): Lib.Ical {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached ??= (require('./icalLib') as typeof Lib).ICAL;
  return cached;
}

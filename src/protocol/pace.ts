/**
 * A deadline that trickling cannot extend. An inactivity timeout restarts on every byte, so a
 * server sending one byte a second keeps a response open for ever; a pace does not: the work fails
 * once it has taken longer than `graceMs` plus the time its bytes take at `minBytesPerSecond`.
 * POP3 responses (pop3/limits.ts), IMAP commands (imap/limits.ts) and SMTP sends (smtp/limits.ts)
 * each have their own numbers.
 */
export interface Pace {
  /** Time the work gets before the rate counts (greetings, status lines, short replies). */
  graceMs: number;
  /** The lowest average rate accepted after the grace. */
  minBytesPerSecond: number;
}

/** How long work that has moved `bytes` may have taken so far under `pace`, in ms. */
export function paceAllowanceMs(pace: Pace, bytes: number): number {
  return pace.graceMs + (bytes * 1000) / pace.minBytesPerSecond;
}

// How much of a mail document the message view writes before its first paint (mailFrame.ts).

/** About one screen of mail markup: parsed, laid out and painted before the rest is written. */
export const FIRST_SCREEN_CHARS = 8 * 1024;

/**
 * Where the first write ends: after the first tag that closes at or past FIRST_SCREEN_CHARS (and
 * never before <body, so the head with the mail's policy is whole); the whole length when the mail
 * is small enough to write at once.
 */
export function firstScreenCut(html: string, firstScreen = FIRST_SCREEN_CHARS): number {
  const body = html.indexOf('<body');
  const from = Math.max(body, firstScreen);
  if (from >= html.length) return html.length;
  const tagEnd = html.indexOf('>', from);
  return tagEnd < 0 ? html.length : tagEnd + 1;
}

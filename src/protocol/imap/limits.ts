/**
 * Every size and time bound of an IMAP connection, in one place. They exist so a broken or hostile
 * server cannot make the extension host buffer without end or wait forever; none of them should
 * ever be reached by real mail on a working link. imapflow's own defaults (1 GiB lines and
 * literals, 2 GiB responses, a million tokens, a silence timeout that every byte re-arms) are far
 * too generous for an editor's extension host, so each connection gets these instead.
 * (The lean FETCH reader of header sync has its own, tighter bounds: sync/fetchParser.ts.)
 */
export interface ImapLimits {
  /**
   * Longest response line without a literal, CRLF included. The longest real ones are SEARCH
   * answers: `UID SEARCH ALL` in a folder of a million messages is about 8 MB of numbers. Twice
   * that stops a server that never sends CRLF after 16 MiB instead of imapflow's 1 GiB.
   */
  maxLineBytes: number;
  /**
   * Largest single literal (a message source, a header block). Providers cap messages at
   * 25–50 MB, about 35–70 MB once base64-encoded; the same 128 MiB as POP3's maxMessageBytes. A
   * larger announcement is refused before any byte of it is read, and the literal is held in
   * memory whole (about twice, while imapflow joins its chunks), so this is what bounds memory.
   */
  maxLiteralBytes: number;
  /**
   * Largest whole response (every line and literal of it). Mailroom fetches one literal per
   * response (BODY.PEEK[]), so the largest literal plus a line of framing is enough; it stops a
   * server spreading a flood over many literals of one response.
   */
  maxResponseBytes: number;
  /**
   * Most tokens (atoms, strings, lists: each `(` is one) imapflow's parser builds for one
   * response. Each costs a few hundred bytes of heap while the response is parsed: a 2 MB line
   * of nested parentheses cost 373 MB under imapflow's default of a million. imapflow itself
   * caps list nesting at 100 levels outside FETCH (and drops deeper FETCH items), so the token
   * count is what bounds the cost of nesting. 200,000 is about 70 MB at worst and still fits an
   * ENVELOPE with 30,000 recipients; SEARCH answers are not tokenized.
   */
  maxResponseTokens: number;
  /**
   * How long a command may run before it must show the minimum rate: the server's own work before
   * it answers (a SEARCH without an index or a COPY of thousands of messages on a busy server
   * takes tens of seconds). Silence alone is also caught later by imapflow's socket timeout.
   */
  commandGraceMs: number;
  /**
   * After the grace period, a command fails with Timeout unless the bytes it moved (sent and
   * received) amount to this rate over its whole run: the deadline is
   * `start + commandGraceMs + bytes / minBytesPerSecond`, so a trickle cannot extend it (a byte
   * buys 1/16384 s) while a large transfer at a usable rate may take as long as it needs. An
   * announced literal buys nothing until its bytes arrive. 16 KiB/s is below a poor mobile link
   * (EDGE carries 20–30 KB/s); at that rate a 25 MB message already takes 26 minutes.
   */
  minBytesPerSecond: number;
}

export const DEFAULT_IMAP_LIMITS: Readonly<ImapLimits> = Object.freeze({
  maxLineBytes: 16 * 1024 * 1024,
  maxLiteralBytes: 128 * 1024 * 1024,
  maxResponseBytes: 128 * 1024 * 1024 + 16 * 1024 * 1024,
  maxResponseTokens: 200_000,
  commandGraceMs: 60_000,
  minBytesPerSecond: 16 * 1024,
});

/** Defaults with `partial` on top; maxResponseBytes follows lowered line/literal limits unless set. */
export function resolveImapLimits(partial: Partial<ImapLimits> | undefined): ImapLimits {
  const limits: ImapLimits = { ...DEFAULT_IMAP_LIMITS, ...partial };
  if (partial?.maxResponseBytes === undefined) limits.maxResponseBytes = limits.maxLiteralBytes + limits.maxLineBytes;
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`IMAP limit ${key} must be a positive integer`);
  }
  return limits;
}

/**
 * Every size and count limit of the POP3 client, in one place. They exist so a broken or hostile
 * server cannot make the extension host buffer without end; none of them should ever be reached
 * by real mail.
 */
import type { Pace } from '../pace';
export interface Pop3Limits {
  /**
   * Longest line accepted anywhere (status line, CAPA/UIDL/LIST line, or one line of a message),
   * CRLF included. RFC 2449 caps response lines at 512 octets and RFC 5322 message lines at 998,
   * but real mail breaks the latter (HTML or base64 without line breaks, some hundred KB), so the
   * cap sits far above both: it only stops a server that never sends CRLF.
   */
  maxLineBytes: number;
  /**
   * Longest status line (greeting, +OK/-ERR, SASL challenge), CRLF included. RFC 2449 caps them at
   * 512 octets; the cap leaves room for long SASL challenges and chatty servers, and bounds what
   * the greeting parser (APOP timestamp) and the response-code reader ever look at, before TLS on
   * STLS accounts.
   */
  maxStatusLineBytes: number;
  /**
   * Largest message RETR or TOP returns (after dot-unstuffing). Providers cap messages at 25–50 MB
   * (about 35–70 MB once base64-encoded); the whole message is held in memory once, so the cap
   * keeps a runaway response from exhausting the extension host.
   */
  maxMessageBytes: number;
  /**
   * Commands in flight at once when the server offers PIPELINING (RFC 2449). Enough to hide the
   * round trip on a slow link; bounded because every answered-but-unconsumed RETR is held in
   * memory until the caller takes it. retrMany refills the window half of it at a time, so the
   * RETRs leave in one write per half window.
   */
  pipelineDepth: number;
}

export const DEFAULT_POP3_LIMITS: Readonly<Pop3Limits> = Object.freeze({
  maxLineBytes: 4 * 1024 * 1024,
  maxStatusLineBytes: 64 * 1024,
  maxMessageBytes: 128 * 1024 * 1024,
  pipelineDepth: 16,
});

/**
 * How slow a response may be, however alive the server looks. The inactivity timeout (the
 * connect option `timeoutMs`) restarts on every byte, so on its own a server sending one byte a
 * second keeps RETR open for ever. This rule cannot be stretched that way: a response fails once
 * it has taken longer than `graceMs` plus the time its bytes so far would take at
 * `minBytesPerSecond`, and never gets more than the size the server announced (LIST, or the
 * "+OK n octets" of RETR) would take.
 */
export type Pop3Pace = Pace;

/** The grace covers a greeting, a status line or a short listing; 2 KB/s is slower than a GPRS link. */
export const DEFAULT_POP3_PACE: Readonly<Pop3Pace> = Object.freeze({
  graceMs: 30_000,
  minBytesPerSecond: 2 * 1024,
});

export function resolvePace(partial: Partial<Pop3Pace> | undefined): Pop3Pace {
  const pace = { ...DEFAULT_POP3_PACE, ...partial };
  for (const [key, value] of Object.entries(pace)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`POP3 pace ${key} must be a positive number`);
  }
  return pace;
}

/** RFC 5034: an AUTH command with an initial response must fit in 255 octets, else send it after "+". */
export const MAX_AUTH_COMMAND_BYTES = 255;

/** SASL challenge/response rounds before the client aborts the exchange with "*". */
export const MAX_SASL_ROUNDS = 4;

export function resolveLimits(partial: Partial<Pop3Limits> | undefined): Pop3Limits {
  const limits = { ...DEFAULT_POP3_LIMITS, ...partial };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`POP3 limit ${key} must be a positive integer`);
  }
  return limits;
}

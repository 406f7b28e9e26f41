/**
 * Limits for IMAP operations, in one place. Each says why it has the value it has.
 */

/**
 * How long an operation waits for the connection's mailbox lock before giving up with a Timeout.
 * Long enough for a folder sync of 10,000 headers holding the lock on a slow link; short enough
 * that a wedged lock surfaces as an error instead of a spinner that never ends.
 */
export const LOCK_ACQUIRE_TIMEOUT_MS = 60_000;

/**
 * Longest UID set (in characters) sent in one command. Dovecot accepts command lines up to 64 KiB
 * (imap_max_line_length); many servers allow far less (8,000 bytes is RFC 7162's advice to
 * clients). Scattered UIDs compress badly ("1,3,5,…"), so big selections are split into several
 * commands of at most this length.
 */
export const MAX_UID_SET_CHARS = 4_000;

/** Default cap on search hits per folder: a result node with more is not useful to browse. */
export const DEFAULT_SEARCH_LIMIT = 500;

/** Hard ceiling on a caller-supplied search limit, so one search cannot fill memory. */
export const MAX_SEARCH_LIMIT = 50_000;

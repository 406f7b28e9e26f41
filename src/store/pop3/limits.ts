/**
 * Limits and timings of the POP3 store, in one place. Each says why it has the value it has.
 */

/**
 * Messages being written to disk while the socket keeps receiving. One fdatasync costs 0.5–1 ms
 * on an ordinary disk; with several in flight the file system commits them together and the
 * download stays bound by the network rather than by fsync (bench/suites/pop3.ts). Also bounds
 * the memory held by received-but-unwritten messages: at most this many, and at most
 * DELIVERY_MAX_BYTES.
 */
export const DELIVERY_CONCURRENCY = Number(process.env.P3CONC ?? 16);
export const DELIVERY_MAX_BYTES = 32 * 1024 * 1024;

/**
 * The index is only a cache of what the Maildir file names and bytes already say (UIDL, flags and
 * receive time live in the name), so during a long download it is saved every this many messages
 * rather than after each one; a crash in between is repaired on the next open.
 */
export const INDEX_SAVE_EVERY = 500;

/** Header block read to index a message found without index entry (larger headers are cut here). */
export const MAX_HEADER_BYTES = 256 * 1024;

/** A lock whose holder has not refreshed it for this long is stale even if its pid looks alive. */
export const LOCK_STALE_MS = 5 * 60_000;
/** How often the holder refreshes the lock file's time while a long download runs. */
export const LOCK_HEARTBEAT_MS = 30_000;
/** A second check waits this long for the lock before failing with MailboxInUse. */
export const LOCK_WAIT_MS = 2_000;
/** Poll interval while waiting for the lock. */
export const LOCK_POLL_MS = 100;

/** Leftovers in `tmp/` from a live process are removed only when older than this (Maildir's 36 h). */
export const TMP_LEFTOVER_MAX_AGE_MS = 36 * 3600_000;

export const DAY_MS = 86_400_000;

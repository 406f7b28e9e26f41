/**
 * Limits and timings of the POP3 store, in one place. Each says why it has the value it has.
 */

/**
 * Received messages whose write to disk (write, fdatasync, rename) has not finished yet. While
 * fewer are pending the socket keeps reading, so the download overlaps the disk's flushes instead
 * of waiting for each. One fdatasync costs 0.5–1 ms here and the file system commits concurrent
 * ones together: 16 pending measured 1.55x the time of a baseline that never waits, 64 1.25x,
 * unbounded 1.15x (bench/suites/pop3.ts, 1,000 x 23 KB; the machine is noisy, ±0.15). Each
 * pending write may hold a file descriptor, so the count stays well below the usual limit of
 * 1,024; the byte cap bounds the memory held when the disk is slower than the network.
 */
export const DELIVERY_CONCURRENCY = 128;
export const DELIVERY_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The index is only a cache of what the Maildir file names and bytes already say (UIDL, flags and
 * receive time live in the name), so during a long download it is saved every this many messages
 * rather than after each one; a crash in between is repaired on the next open.
 */
export const INDEX_SAVE_EVERY = 2000;

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

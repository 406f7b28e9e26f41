/** Bounds for SMTP work, in one place. */

/**
 * Longest the SMTP reply text we read by hand (the certificate check before a pinned STARTTLS
 * connection) may grow: an EHLO answer is a few hundred bytes, so anything near this is not SMTP.
 */
export const MAX_SMTP_NEGOTIATION_BYTES = 16 * 1024;

/** Reply lines read by hand before giving up (EHLO lists one extension a line; servers list < 30). */
export const MAX_SMTP_NEGOTIATION_LINES = 100;

/**
 * Inactivity allowed while the message is transferred. Longer than the connect timeout: a 25 MB
 * message on a slow uplink takes minutes, but the socket is never silent for this long.
 */
export const SMTP_SOCKET_IDLE_MS = 120_000;

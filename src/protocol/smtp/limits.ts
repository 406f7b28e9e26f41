/** Bounds for SMTP work, in one place. */

/**
 * Inactivity allowed while the message is transferred. Longer than the connect timeout: a 25 MB
 * message on a slow uplink takes minutes, but the socket is never silent for this long.
 */
export const SMTP_SOCKET_IDLE_MS = 120_000;

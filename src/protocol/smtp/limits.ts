/** Bounds for SMTP work, in one place. */
import type { Pace } from '../pace';

/**
 * Inactivity allowed while the message is transferred. Longer than the connect timeout: a 25 MB
 * message on a slow uplink takes minutes, but the socket is never silent for this long.
 */
export const SMTP_SOCKET_IDLE_MS = 120_000;

/**
 * How long one send may take in all, however alive the server looks. nodemailer bounds the
 * connect, the greeting and STARTTLS with a total time, but after that only by socketTimeout,
 * an idle timeout that every byte restarts: a server answering EHLO or the end of DATA one byte
 * a second would keep the send open for hours. A send fails once it has taken longer than
 * `graceMs` plus the time the message takes at `minBytesPerSecond`.
 */
export type SmtpPace = Pace;

/**
 * The grace is for everything but the message bytes (connect, TLS, EHLO, AUTH, MAIL/RCPT, the
 * replies); 2 KB/s is slower than a GPRS link.
 */
export const DEFAULT_SMTP_PACE: Readonly<SmtpPace> = Object.freeze({ graceMs: 120_000, minBytesPerSecond: 2 * 1024 });

import { outdatedTlsError } from '../connectionErrors';
import type { MailError } from '../errors';
import { outdatedTlsVersion, type TlsEndpoint } from './certificate';

/** TLS versions RFC 8996 retired; Mailroom starts at TLS 1.2. */
export const OUTDATED_TLS_VERSIONS: ReadonlySet<string> = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1']);

/** The longest the second handshake that names an old version may take. */
const MEASURE_TIMEOUT_MS = 5000;

/**
 * A handshake that failed without a certificate problem may be a server that speaks only TLS 1.0
 * or 1.1: OpenSSL then reports a protocol-version alert, or (Dovecot) the server just closes the
 * connection. One more handshake that allows the old versions tells them apart and names the
 * version, so the user reads "only speaks TLSv1.1" instead of "closed unexpectedly".
 */
export async function explainOutdatedTls(mapped: MailError, endpoint: TlsEndpoint, timeoutMs: number): Promise<MailError> {
  if (endpoint.security === 'none') return mapped;
  const suspicious = mapped.tlsReason === 'TLS_VERSION_OUTDATED' || (!mapped.tlsReason && (mapped.code === 'ConnectionClosed' || mapped.code === 'TlsFailed' || mapped.code === 'Unknown'));
  if (!suspicious) return mapped;
  const version = await outdatedTlsVersion(endpoint, Math.min(timeoutMs, MEASURE_TIMEOUT_MS));
  if (!version || !OUTDATED_TLS_VERSIONS.has(version)) return mapped;
  return outdatedTlsError(endpoint, mapped.cause ?? mapped, version);
}

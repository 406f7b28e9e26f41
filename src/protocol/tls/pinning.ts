import type { ConnectionOptions } from 'node:tls';
import type { AccountConfig } from '../account';
import { toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import { fetchPeerCertificate, pinnedTlsOptions } from './certificate';

/**
 * TLS options for an account's connection. Without a pinned certificate: normal verification.
 * With one, the presented certificate is read first to get its PEM; the real connection then
 * verifies against exactly that PEM, so a certificate swapped in between still fails. A pinned
 * certificate that changed stops the login before the password is sent.
 */
export async function tlsOptionsFor(account: AccountConfig, timeoutMs: number): Promise<ConnectionOptions> {
  const pin = account.trustedCertificateSha256;
  if (!pin || account.security === 'none') return { rejectUnauthorized: true };
  const peer = await fetchPeerCertificate(account, timeoutMs).catch((err: unknown) => {
    throw toMailError(err, account);
  });
  if (peer.certificate.sha256 !== pin) {
    if (peer.authorized) return { rejectUnauthorized: true };
    throw new MailError(
      'CertificateUntrusted',
      `${account.host}:${account.port} now presents a different certificate from the one you chose to trust. Mailroom did not send your password. If the server's certificate was renewed, check the new one and trust it again.`,
      { certificate: peer.certificate, tlsReason: 'PINNED_CERTIFICATE_MISMATCH' },
    );
  }
  return pinnedTlsOptions(peer.certificate.pem, pin);
}

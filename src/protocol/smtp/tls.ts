/**
 * TLS options for the SMTP connection, honouring a certificate the user chose to trust
 * (smtp.trustedCertificateSha256) the same way IMAP does (src/protocol/tls/pinning.ts): the
 * presented certificate is read first, and the real connection then verifies against exactly
 * that PEM (certificate.ts reads it, with SMTP's EHLO/STARTTLS when the link starts in plain text).
 */
import type * as tls from 'node:tls';
import type { SmtpConfig } from '../account';
import { toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import { fetchPeerCertificate, PeerCertificateResult, pinnedTlsOptions } from '../tls/certificate';

export async function smtpTlsOptions(smtp: SmtpConfig, timeoutMs: number): Promise<tls.ConnectionOptions> {
  const pin = smtp.trustedCertificateSha256;
  if (smtp.security === 'none') return {};
  if (!pin) return { rejectUnauthorized: true };
  const peer = await fetchSmtpCertificate(smtp, timeoutMs);
  if (peer.certificate.sha256 !== pin) {
    if (peer.authorized) return { rejectUnauthorized: true };
    throw new MailError(
      'CertificateUntrusted',
      `${smtp.host}:${smtp.port} now presents a different certificate from the one you chose to trust. Mailroom did not send your password or the message. If the server's certificate was renewed, check the new one and trust it again.`,
      { certificate: peer.certificate, tlsReason: 'PINNED_CERTIFICATE_MISMATCH' },
    );
  }
  return pinnedTlsOptions(peer.certificate.pem, pin);
}

/** The certificate the SMTP server presents (implicit TLS, or after EHLO and STARTTLS), without trusting it. */
export async function fetchSmtpCertificate(smtp: SmtpConfig, timeoutMs: number): Promise<PeerCertificateResult> {
  try {
    return await fetchPeerCertificate({ protocol: 'smtp', host: smtp.host, port: smtp.port, security: smtp.security }, timeoutMs);
  } catch (err) {
    if (MailError.is(err, 'StartTlsUnavailable')) {
      throw new MailError(
        'StartTlsUnavailable',
        `${smtp.host}:${smtp.port} does not offer STARTTLS, so Mailroom did not send your password or the message. Use TLS on port 465, or ask the administrator to enable STARTTLS.`,
        { detail: err.message, cause: err },
      );
    }
    throw toMailError(err, smtp);
  }
}

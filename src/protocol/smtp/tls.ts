/**
 * TLS for the SMTP connection, honouring a certificate the user chose to trust
 * (smtp.trustedCertificateSha256) the same way IMAP and POP3 do (src/protocol/tls/pinning.ts):
 * a pinned connection is opened by Mailroom itself (implicit TLS, or EHLO and STARTTLS read line
 * by line), the presented certificate is checked against the pin, and only then does nodemailer
 * get the secured socket (its `getSocket` hook) to send EHLO, AUTH and the message.
 */
import type * as tls from 'node:tls';
import type { SmtpConfig } from '../account';
import { toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import type { ProtocolLog } from '../log';
import { connectTls, fetchPeerCertificate, PeerCertificateResult, type TlsEndpoint } from '../tls/certificate';
import { checkPinnedPeer, tlsOptionsFor } from '../tls/pinning';

export function smtpTlsOptions(smtp: SmtpConfig): tls.ConnectionOptions {
  if (smtp.security === 'none') return {};
  return tlsOptionsFor(smtp);
}

type GetSocket = (options: unknown, callback: (err: Error | null, socketOptions?: { connection: tls.TLSSocket; secured: true; secure: true }) => void) => void;

/**
 * nodemailer's `getSocket` for a pinned SMTP server: the socket it gets is already TLS and carries
 * the pinned certificate (or one that verifies). After STARTTLS the server sends no new greeting,
 * so the 220 greeting it sent before TLS is handed back to nodemailer, which then starts at EHLO
 * over TLS; nothing else read before TLS is kept (RFC 3207 section 4.2).
 */
export function pinnedSmtpSocket(smtp: SmtpConfig, timeoutMs: number, log: ProtocolLog): GetSocket | undefined {
  if (!smtp.trustedCertificateSha256 || smtp.security === 'none') return undefined;
  return (_options, callback) => {
    connectTls(smtpEndpoint(smtp), smtpTlsOptions(smtp), timeoutMs).then(
      ({ socket, greeting }) => {
        const refused = checkPinnedPeer(socket, smtp);
        if (refused) {
          socket.destroy();
          callback(withSmtpWording(refused));
          return;
        }
        const how = smtp.security === 'starttls' ? 'EHLO and STARTTLS' : 'implicit TLS';
        log.info(`[smtp] ${how} to ${smtp.host}:${smtp.port} done by Mailroom for the pinned certificate (${socket.getProtocol() ?? '?'}); nodemailer continues over TLS`);
        if (greeting !== undefined) socket.unshift(Buffer.from(`${greeting.split('\n').join('\r\n')}\r\n`, 'latin1'));
        callback(null, { connection: socket, secured: true, secure: true });
      },
      (err: unknown) => callback(withSmtpWording(toMailError(err, smtp))),
    );
  };
}

function smtpEndpoint(smtp: SmtpConfig): TlsEndpoint {
  return { protocol: 'smtp', host: smtp.host, port: smtp.port, security: smtp.security };
}

function withSmtpWording(err: MailError): MailError {
  const message = err.message.replace('Mailroom did not send your password.', 'Mailroom did not send your password or the message.');
  return new MailError(err.code, message, { detail: err.detail, cause: err.cause, ...(err.certificate ? { certificate: err.certificate } : {}), ...(err.tlsReason ? { tlsReason: err.tlsReason } : {}) });
}

/** The certificate the SMTP server presents (implicit TLS, or after EHLO and STARTTLS), without trusting it. */
export async function fetchSmtpCertificate(smtp: SmtpConfig, timeoutMs: number): Promise<PeerCertificateResult> {
  try {
    return await fetchPeerCertificate(smtpEndpoint(smtp), timeoutMs);
  } catch (err) {
    throw MailError.is(err) ? withSmtpWording(err) : toMailError(err, smtp);
  }
}

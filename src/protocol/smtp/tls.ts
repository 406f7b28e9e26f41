/**
 * TLS options for the SMTP connection, honouring a certificate the user chose to trust
 * (smtp.trustedCertificateSha256) the same way IMAP does (src/protocol/tls/pinning.ts): the
 * presented certificate is read first, and the real connection then verifies against exactly
 * that PEM. certificate.ts negotiates STARTTLS for IMAP and POP3 only, so the SMTP dialogue
 * (greeting, EHLO, STARTTLS) for reading the certificate is here.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { SmtpConfig } from '../account';
import { toMailError } from '../connectionErrors';
import { CertificateSummary, MailError } from '../errors';
import { fetchPeerCertificate, pinnedTlsOptions, summarizeCertificate } from '../tls/certificate';
import { MAX_SMTP_NEGOTIATION_BYTES, MAX_SMTP_NEGOTIATION_LINES } from './limits';

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

interface PeerResult {
  certificate: CertificateSummary;
  authorized: boolean;
}

/** The certificate the SMTP server presents (implicit TLS, or after STARTTLS), without trusting it. */
export async function fetchSmtpCertificate(smtp: SmtpConfig, timeoutMs: number): Promise<PeerResult> {
  if (smtp.security === 'tls') {
    // Implicit TLS: nothing protocol-specific happens before the handshake.
    return fetchPeerCertificate({ protocol: 'imap', host: smtp.host, port: smtp.port, security: 'tls' }, timeoutMs);
  }
  const plain = net.connect({ host: smtp.host, port: smtp.port });
  // Errors reach the reply reader while it is attached; afterwards the TLS socket reports them.
  plain.on('error', () => undefined);
  let secure: tls.TLSSocket | undefined;
  const work = (async (): Promise<PeerResult> => {
    const replies = replyReader(plain);
    const greeting = await replies.next();
    if (!greeting.startsWith('220')) throw new MailError('ProtocolError', `Unexpected SMTP greeting: ${greeting.slice(0, 200)}`);
    plain.write('EHLO mailroom.invalid\r\n');
    const ehlo = await replies.next();
    if (!ehlo.startsWith('250')) throw new MailError('ProtocolError', `The server refused EHLO: ${ehlo.slice(0, 200)}`);
    if (!/^250[ -]STARTTLS\b/im.test(ehlo)) {
      throw new MailError('StartTlsUnavailable', `${smtp.host}:${smtp.port} does not offer STARTTLS, so Mailroom did not send your password or the message. Use TLS on port 465, or ask the administrator to enable STARTTLS.`);
    }
    plain.write('STARTTLS\r\n');
    const ready = await replies.next();
    if (!ready.startsWith('220')) throw new MailError('StartTlsUnavailable', `${smtp.host}:${smtp.port} refused STARTTLS (${ready.slice(0, 200)}); Mailroom did not send your password or the message.`);
    replies.detach();
    const servername = net.isIP(smtp.host) ? undefined : smtp.host;
    const socket = tls.connect({ socket: plain, rejectUnauthorized: false, ...(servername ? { servername } : {}) });
    secure = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', (err) => reject(new MailError('TlsFailed', `The TLS handshake with ${smtp.host}:${smtp.port} failed: ${err.message}`, { cause: err })));
    });
    const peer = socket.getPeerCertificate(false);
    if (!peer?.raw) throw new MailError('TlsFailed', `${smtp.host} sent no certificate.`);
    return { certificate: summarizeCertificate(peer), authorized: socket.authorized };
  })();
  work.catch(() => undefined); // the deadline may win the race; its error is the one reported
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MailError('Timeout', `${smtp.host}:${smtp.port} did not complete STARTTLS within ${Math.round(timeoutMs / 1000)} s.`)), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (err) {
    throw toMailError(err, smtp);
  } finally {
    clearTimeout(timer);
    secure?.destroy();
    plain.destroy();
  }
}

/** Reads whole SMTP replies (multi-line "250-…" up to the "250 …" line), bounded in size and lines. */
function replyReader(socket: net.Socket): { next(): Promise<string>; detach(): void } {
  let buffered = '';
  let waiting: { resolve: (reply: string) => void; reject: (err: Error) => void } | undefined;
  let failure: Error | undefined;
  const fail = (err: Error): void => {
    failure ??= err;
    waiting?.reject(failure);
    waiting = undefined;
  };
  const deliver = (): void => {
    if (!waiting) return;
    const lines = buffered.split('\r\n');
    if (lines.length > MAX_SMTP_NEGOTIATION_LINES) return fail(new MailError('ProtocolError', 'The server sent too many lines before answering.'));
    for (let i = 0; i < lines.length - 1; i++) {
      if (/^\d{3}(?: |$)/.test(lines[i])) {
        const reply = lines.slice(0, i + 1).join('\n');
        buffered = lines.slice(i + 1).join('\r\n');
        const w = waiting;
        waiting = undefined;
        w.resolve(reply);
        return;
      }
    }
  };
  const onData = (chunk: Buffer): void => {
    buffered += chunk.toString('latin1');
    if (buffered.length > MAX_SMTP_NEGOTIATION_BYTES) return fail(new MailError('ProtocolError', 'The server sent an overlong reply.'));
    deliver();
  };
  const onEnd = (): void => fail(new MailError('ConnectionClosed', 'The server closed the connection during STARTTLS negotiation.'));
  const onError = (err: Error): void => fail(err);
  socket.on('data', onData).on('end', onEnd).on('error', onError);
  return {
    next: () =>
      new Promise<string>((resolve, reject) => {
        if (failure) return reject(failure);
        waiting = { resolve, reject };
        deliver();
      }),
    detach: () => void socket.off('data', onData).off('end', onEnd).off('error', onError),
  };
}

import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ImapFlow } from 'imapflow';
import { MailError } from '../errors';
import { summarizeCertificate } from './certificate';

type ImapTransport = NonNullable<NonNullable<ConstructorParameters<typeof ImapFlow>[0]>['transport']>;
type ImapTransportSocket = ReturnType<ImapTransport['connect']>;

/** What a pin is checked against: where the connection goes, and the fingerprint the user chose. */
export interface PinnedEndpoint {
  host: string;
  port: number;
  trustedCertificateSha256?: string;
  security: 'tls' | 'starttls' | 'none';
}

/** Mailroom never negotiates below TLS 1.2 (RFC 8996), pinned or not. */
export const MIN_TLS_VERSION = 'TLSv1.2';

/**
 * TLS options for an account's connection. Without a pinned certificate: normal verification.
 * With one, the handshake itself accepts any certificate, and the caller must run
 * `checkPinnedPeer` on the finished handshake before it sends anything: a pin means "this exact
 * certificate, whatever its chain, dates or names", and any other certificate must verify the
 * normal way. (Adding the pinned PEM to the CA list, as before, only worked for a self-signed
 * certificate: a private CA's leaf or an expired one still failed on its chain or dates.)
 */
export function tlsOptionsFor(account: PinnedEndpoint): tls.ConnectionOptions {
  if (!account.trustedCertificateSha256 || account.security === 'none') return { rejectUnauthorized: true, minVersion: MIN_TLS_VERSION };
  return { rejectUnauthorized: false, minVersion: MIN_TLS_VERSION };
}

/**
 * After the handshake of a pinned connection and before any credential: undefined when the
 * server presented the pinned certificate, or another one that passed normal verification
 * (chain and host name; Node checks the name whenever the chain verified); otherwise the
 * CertificateUntrusted error carrying the presented certificate, so the user can look at it.
 */
export function checkPinnedPeer(socket: tls.TLSSocket, account: PinnedEndpoint): MailError | undefined {
  const pin = account.trustedCertificateSha256;
  if (!pin) return undefined;
  const peer = socket.getPeerCertificate(false);
  if (peer?.raw && peer.fingerprint256 === pin) return undefined;
  if (socket.authorized) return undefined;
  const where = `${account.host}:${account.port}`;
  return new MailError(
    'CertificateUntrusted',
    `${where} now presents a different certificate from the one you chose to trust. Mailroom did not send your password. If the server's certificate was renewed, check the new one and trust it again.`,
    {
      detail: `presented ${peer?.fingerprint256 ?? 'no certificate'}; pinned ${pin}; ${String(socket.authorizationError ?? '')}`,
      tlsReason: 'PINNED_CERTIFICATE_MISMATCH',
      ...(peer?.raw ? { certificate: summarizeCertificate(peer) } : {}),
    },
  );
}

/**
 * An imapflow transport that runs `checkPinnedPeer` between the handshake and imapflow's next
 * step (the greeting on implicit TLS, CAPABILITY and LOGIN after STARTTLS): a certificate that
 * is neither the pinned one nor verifiable ends the connection with that error instead.
 */
export function pinnedImapTransport(account: PinnedEndpoint): ImapTransport {
  const secured = (socket: tls.TLSSocket, next: () => void) => (): void => {
    const refused = checkPinnedPeer(socket, account);
    if (refused) socket.destroy(refused);
    else next();
  };
  return {
    connect(options, onConnect) {
      if (!options.secure) return net.connect({ host: options.host, port: options.port }, onConnect) as unknown as ImapTransportSocket;
      const socket: tls.TLSSocket = tls.connect({ ...options.tls, host: options.host, port: options.port, ...servername(options.servername) }, () => secured(socket, onConnect)());
      return socket as unknown as ImapTransportSocket;
    },
    upgrade(plain, options, onSecure) {
      const socket: tls.TLSSocket = tls.connect(
        { ...options.tls, socket: plain as unknown as net.Socket, host: options.host, port: options.port, ...servername(options.servername) },
        () => secured(socket, onSecure)(),
      );
      return socket as unknown as ImapTransportSocket;
    },
  };
}

function servername(name: string | false | undefined): { servername?: string } {
  return typeof name === 'string' && name && !net.isIP(name) ? { servername: name } : {};
}

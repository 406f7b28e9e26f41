import * as net from 'node:net';
import * as tls from 'node:tls';
import { describeTlsReason } from '../errors';
import type { CertificateInfo, TlsReport } from '../../shared/probeReport';
import { PROBE_LIMITS } from './limits';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What a finished handshake shows: version, cipher, ALPN, the chain, whether it verified (and the
 * exact reason when not), and a host name check of its own, because Node skips the name check
 * when the chain already failed.
 */
export function describeTlsSession(socket: tls.TLSSocket, host: string, pinnedSha256: string | undefined, now = Date.now()): Omit<TlsReport, 'mode' | 'ok'> {
  const out: Omit<TlsReport, 'mode' | 'ok'> = {
    version: socket.getProtocol() ?? undefined,
    cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name,
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    authorized: socket.authorized,
  };
  if (!socket.authorized && socket.authorizationError) {
    const code = String((socket.authorizationError as unknown as { code?: string }).code ?? socket.authorizationError);
    out.authorizationError = code;
    out.authorizationReason = describeTlsReason(code);
  }
  const peer = socket.getPeerCertificate(true);
  if (!peer || !peer.raw) return out;
  out.chain = readChain(peer, now);
  out.certificate = out.chain[0];
  const identityError = tls.checkServerIdentity(net.isIP(host) ? host : host.toLowerCase(), peer);
  out.hostnameMatch = identityError === undefined;
  if (identityError) out.hostnameError = identityError.message;
  if (pinnedSha256) out.pinned = peer.fingerprint256 === pinnedSha256;
  return out;
}

function readChain(leaf: tls.DetailedPeerCertificate, now: number): CertificateInfo[] {
  const chain: CertificateInfo[] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = leaf;
  while (cert?.raw && chain.length < PROBE_LIMITS.maxChainLength && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(certificateInfo(cert, now));
    cert = cert.issuerCertificate;
  }
  return chain;
}

export function certificateInfo(cert: tls.PeerCertificate, now = Date.now()): CertificateInfo {
  const subject = distinguishedName(cert.subject);
  const issuer = distinguishedName(cert.issuer);
  const validTo = Date.parse(cert.valid_to);
  return {
    subject,
    issuer,
    validFrom: isoDate(cert.valid_from),
    validTo: isoDate(cert.valid_to),
    san: cert.subjectaltname ?? '',
    sha256: cert.fingerprint256,
    daysToExpiry: Number.isNaN(validTo) ? 0 : Math.trunc((validTo - now) / DAY_MS),
    expired: !Number.isNaN(validTo) && validTo <= now,
    selfSigned: subject === issuer,
  };
}

function isoDate(text: string): string {
  const t = Date.parse(text);
  return Number.isNaN(t) ? text : new Date(t).toISOString();
}

function distinguishedName(name: tls.Certificate | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

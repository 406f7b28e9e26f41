/**
 * One handshake of the TLS deep check: connect, upgrade the way the endpoint does (implicit TLS,
 * or greeting + STARTTLS/STLS through the probe's own dialogue), offer exactly what the caller
 * asks for, read what the server chose, close. Nothing else is sent; no credentials ever.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ProbeTarget } from '../target';
import { ProbeConnection } from '../connection';
import type { Dialogue } from '../dialogue';
import { Transcript } from '../transcript';
import { CertificateMessageReader, tapSocket } from './servedChainTap';

export interface HandshakeOffer {
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  /** OpenSSL cipher string (TLS 1.2 and older suites, and/or TLS 1.3 TLS_* suites). */
  ciphers?: string;
  /** Ask for a stapled OCSP response. */
  requestOCSP?: boolean;
  alpn?: string[];
  /** Read the Certificate message as sent (TLS 1.2 and older). */
  readServedChain?: boolean;
}

export interface HandshakeEndpoint {
  target: ProbeTarget;
  /** The address the probe resolved. */
  address: string;
  localAddress?: string;
  dialogue: () => Dialogue;
  timeoutMs: number;
}

export type HandshakeOutcome =
  | {
    kind: 'accepted';
    version: string;
    cipher: { name: string; standardName: string };
    peer: tls.DetailedPeerCertificate | undefined;
    served: Buffer[] | undefined;
    ocsp: Buffer | undefined;
    alpn: string | null;
  }
  /** The server said no (an alert, or it closed the connection during the handshake). */
  | { kind: 'refused'; code: string; message: string }
  /** This client could not build the offer (OpenSSL has no such version or suite here). */
  | { kind: 'client-cannot'; code: string; message: string }
  /** Not a TLS answer: TCP, STARTTLS or the time limit failed. */
  | { kind: 'error'; code: string; message: string };

/** OpenSSL errors raised on this side before (or instead of) asking the server. */
const CLIENT_SIDE = new Set(['ERR_SSL_NO_PROTOCOLS_AVAILABLE', 'ERR_SSL_NO_CIPHERS_AVAILABLE', 'ERR_SSL_NO_CIPHER_MATCH', 'ERR_SSL_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED']);

function errorCode(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const inner = e.cause && typeof e.cause.code === 'string' ? e.cause : e;
  return { code: String(inner.code ?? 'Unknown'), message: String(inner.message ?? e.message ?? err) };
}

/** Runs one handshake; never throws, always closes what it opened within `timeoutMs` (+ a tick). */
export async function handshake(endpoint: HandshakeEndpoint, offer: HandshakeOffer): Promise<HandshakeOutcome> {
  const { target } = endpoint;
  const transcript = new Transcript();
  let conn: ProbeConnection | undefined;
  let raw: net.Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  const state: { stage: 'connect' | 'starttls' | 'tls' } = { stage: 'connect' };
  const reader = new CertificateMessageReader();
  let ocsp: Buffer | undefined;
  let closed = false;
  const work = async (): Promise<HandshakeOutcome> => {
    conn = await ProbeConnection.connect({ host: target.host, address: endpoint.address, port: target.port, localAddress: endpoint.localAddress }, transcript);
    const c = conn;
    if (closed) c.destroy(); // the time limit passed while connecting
    if (target.tls === 'starttls') {
      state.stage = 'starttls';
      const dialogue = endpoint.dialogue();
      await dialogue.greeting(c);
      await dialogue.capabilities(c);
      await dialogue.starttls(c);
    }
    state.stage = 'tls';
    const servername = net.isIP(target.host) ? undefined : target.host;
    const socket = await c.startTls({
      ...(servername ? { servername } : {}),
      ...(offer.alpn ? { alpn: offer.alpn } : {}),
      connect: (base) => {
        raw = base.socket;
        if (closed) raw.destroy();
        const s = tls.connect({
          ...base,
          ...(offer.readServedChain ? { socket: tapSocket(base.socket, reader) } : {}),
          minVersion: offer.minVersion,
          maxVersion: offer.maxVersion,
          ...(offer.ciphers ? { ciphers: offer.ciphers } : {}),
          ...(offer.requestOCSP ? { requestOCSP: true } : {}),
        });
        s.on('OCSPResponse', (response: Buffer) => (ocsp = response));
        return s;
      },
    });
    const cipher = socket.getCipher();
    const peer = socket.getPeerCertificate(true);
    return {
      kind: 'accepted',
      version: socket.getProtocol() ?? '?',
      cipher: { name: cipher.name, standardName: cipher.standardName ?? cipher.name },
      peer: peer && peer.raw ? peer : undefined,
      served: reader.certificates,
      ocsp: ocsp && ocsp.length ? ocsp : undefined,
      alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    };
  };
  try {
    const deadline = new Promise<HandshakeOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'error', code: 'Timeout', message: `no answer within ${endpoint.timeoutMs} ms (${state.stage})` }), endpoint.timeoutMs);
    });
    return await Promise.race([work(), deadline]);
  } catch (err) {
    const { code, message } = errorCode(err);
    if (CLIENT_SIDE.has(code)) return { kind: 'client-cannot', code, message };
    if (state.stage !== 'tls') return { kind: 'error', code, message };
    return { kind: 'refused', code, message };
  } finally {
    clearTimeout(timer);
    closed = true;
    const c = conn as ProbeConnection | undefined;
    c?.destroy();
    raw?.destroy();
    // Closed for the server too before the caller opens the next one (the host's connection cap).
    await c?.closed;
  }
}

import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ConnectionSecurity, MailProtocol } from '../account';
import { isOutdatedTlsError, outdatedTlsError, preauthError, startTlsMissing, startTlsRefused } from '../connectionErrors';
import { CertificateSummary, MailError } from '../errors';

export interface TlsEndpoint {
  protocol: MailProtocol | 'smtp';
  host: string;
  port: number;
  security: ConnectionSecurity;
}

export interface PeerCertificateResult {
  certificate: CertificateSummary;
  authorized: boolean;
  authorizationError?: string;
}

/** Longest line we read while negotiating STARTTLS by hand; a greeting is far shorter. */
const MAX_NEGOTIATION_BYTES = 16 * 1024;
/** Lines read for one answer (IMAP untagged lines, an SMTP multi-line greeting or EHLO reply). */
const MAX_NEGOTIATION_LINES = 50;

export function summarizeCertificate(peer: tls.PeerCertificate): CertificateSummary {
  const pem = `-----BEGIN CERTIFICATE-----\n${peer.raw.toString('base64').match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  return {
    subject: distinguishedName(peer.subject),
    issuer: distinguishedName(peer.issuer),
    validFrom: peer.valid_from,
    validTo: peer.valid_to,
    subjectAltNames: peer.subjectaltname ?? '',
    sha256: peer.fingerprint256,
    pem,
  };
}

function distinguishedName(name: tls.Certificate | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

/**
 * Reads the certificate a server presents, without trusting it and without sending anything but
 * STARTTLS/STLS. Used to show the user what they are asked to trust, and to fetch the PEM of a
 * certificate they pinned earlier.
 */
export async function fetchPeerCertificate(endpoint: TlsEndpoint, timeoutMs: number): Promise<PeerCertificateResult> {
  if (endpoint.security === 'none') {
    throw new MailError('TlsFailed', `${endpoint.host}:${endpoint.port} is configured without TLS, so it has no certificate.`);
  }
  const deadline = setTimeoutPromise(timeoutMs, endpoint);
  try {
    const { socket } = await Promise.race([openTls(endpoint), deadline.promise]);
    try {
      const peer = socket.getPeerCertificate(false);
      if (!peer || !peer.raw) throw new MailError('TlsFailed', `${endpoint.host} sent no certificate.`);
      return {
        certificate: summarizeCertificate(peer),
        authorized: socket.authorized,
        ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
      };
    } finally {
      socket.destroy();
    }
  } finally {
    deadline.cancel();
  }
}

/**
 * A TLS socket to `endpoint` (implicit TLS, or greeting + STARTTLS/STLS read line by line), with
 * `options` on top of "accept any certificate": the caller judges it. `greeting` is the server's
 * greeting when it was read before TLS (its 220 reply, for SMTP).
 */
export async function openTls(endpoint: TlsEndpoint, options: tls.ConnectionOptions = {}): Promise<{ socket: tls.TLSSocket; greeting?: string }> {
  const servername = net.isIP(endpoint.host) ? undefined : endpoint.host;
  const base = { rejectUnauthorized: false, ...options, ...(servername ? { servername } : {}) };
  if (endpoint.security === 'tls') {
    return { socket: await handshake(tls.connect({ host: endpoint.host, port: endpoint.port, ...base }), endpoint) };
  }
  const plain = net.connect({ host: endpoint.host, port: endpoint.port });
  let greeting: string;
  try {
    greeting = await negotiateStartTls(plain, endpoint);
  } catch (err) {
    plain.destroy();
    throw err;
  }
  return { socket: await handshake(tls.connect({ socket: plain, host: endpoint.host, ...base }), endpoint), greeting };
}

function handshake(socket: tls.TLSSocket, endpoint: TlsEndpoint): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      // A refused, reset or unreachable socket is not a TLS problem: the caller maps it (and an
      // outage must read as "unreachable", so the account goes offline and retries).
      if (typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) reject(err);
      else if (isOutdatedTlsError(err)) reject(outdatedTlsError(endpoint, err));
      else reject(new MailError('TlsFailed', `The TLS handshake failed: ${err.message}`, { cause: err }));
    });
  });
}

/** `openTls` within `timeoutMs`. */
export async function connectTls(endpoint: TlsEndpoint, options: tls.ConnectionOptions, timeoutMs: number): Promise<{ socket: tls.TLSSocket; greeting?: string }> {
  const deadline = setTimeoutPromise(timeoutMs, endpoint);
  try {
    return await Promise.race([openTls(endpoint, options), deadline.promise]);
  } finally {
    deadline.cancel();
  }
}

/**
 * The TLS version a server speaks when it refuses TLS 1.2 and 1.3, measured by a second handshake
 * that allows TLS 1.0 and 1.1 (Node's OpenSSL only offers them when asked, and their ciphers only
 * at security level 0). Nothing but STARTTLS/STLS is sent; undefined when even that fails.
 */
export async function outdatedTlsVersion(endpoint: TlsEndpoint, timeoutMs: number): Promise<string | undefined> {
  try {
    const { socket } = await connectTls(endpoint, { minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, timeoutMs);
    const version = socket.getProtocol() ?? undefined;
    socket.destroy();
    return version;
  } catch {
    return undefined;
  }
}

/** Greeting, then STARTTLS (IMAP, SMTP after EHLO) or STLS (POP3), reading only whole lines; returns the greeting. */
async function negotiateStartTls(socket: net.Socket, endpoint: TlsEndpoint): Promise<string> {
  const protocol = endpoint.protocol;
  const lines = lineReader(socket);
  if (protocol === 'smtp') {
    const greeting = await negotiateSmtpStartTls(socket, lines, endpoint);
    lines.detach();
    return greeting;
  }
  const greeting = await lines.next();
  const isOk = protocol === 'imap' ? /^\* OK/i : /^\+OK/i;
  if (protocol === 'imap' && /^\* PREAUTH/i.test(greeting)) throw preauthError(endpoint, greeting);
  if (!isOk.test(greeting)) throw new MailError('ProtocolError', `Unexpected greeting: ${greeting.slice(0, 200)}`);
  socket.write(protocol === 'imap' ? 'M1 STARTTLS\r\n' : 'STLS\r\n');
  for (let i = 0; i < MAX_NEGOTIATION_LINES; i++) {
    const line = await lines.next();
    if (protocol === 'imap' && line.startsWith('*')) continue;
    const ok = protocol === 'imap' ? /^M1 OK/i.test(line) : /^\+OK/i.test(line);
    if (!ok) throw startTlsRefused(endpoint, protocol === 'imap' ? line.replace(/^M1 /, '') : line);
    lines.detach();
    return greeting;
  }
  throw new MailError('ProtocolError', 'The server sent too many lines before answering STARTTLS.');
}

/** SMTP (RFC 3207): 220 greeting, EHLO whose reply lists STARTTLS, then STARTTLS answered 220; returns the greeting. */
async function negotiateSmtpStartTls(socket: net.Socket, lines: LineReader, endpoint: TlsEndpoint): Promise<string> {
  const greeting = await smtpReply(lines);
  if (!greeting.startsWith('220')) throw new MailError('ProtocolError', `Unexpected SMTP greeting: ${greeting.slice(0, 200)}`);
  socket.write('EHLO mailroom.invalid\r\n');
  const ehlo = await smtpReply(lines);
  if (!ehlo.startsWith('250')) throw new MailError('ProtocolError', `The server refused EHLO: ${ehlo.slice(0, 200)}`);
  if (!/^250[ -]STARTTLS\b/im.test(ehlo)) throw startTlsMissing(endpoint, 'smtp');
  socket.write('STARTTLS\r\n');
  const ready = await smtpReply(lines);
  if (!ready.startsWith('220')) throw startTlsRefused(endpoint, ready.replace(/\n/g, ' '));
  return greeting;
}

/** One whole SMTP reply: continuation lines `250-…` up to the final `250 …`, joined by newlines. */
async function smtpReply(lines: LineReader): Promise<string> {
  const reply: string[] = [];
  for (let i = 0; i < MAX_NEGOTIATION_LINES; i++) {
    const line = await lines.next();
    reply.push(line);
    if (/^\d{3}(?: |$)/.test(line)) return reply.join('\n');
  }
  throw new MailError('ProtocolError', 'The server sent too many lines before answering.');
}

interface LineReader {
  next(): Promise<string>;
  detach(): void;
}

function lineReader(socket: net.Socket): LineReader {
  let buffered = '';
  let waiting: { resolve: (line: string) => void; reject: (err: Error) => void } | undefined;
  let failure: Error | undefined;
  const onData = (chunk: Buffer): void => {
    buffered += chunk.toString('latin1');
    if (buffered.length > MAX_NEGOTIATION_BYTES) fail(new MailError('ProtocolError', 'The server sent an overlong line.'));
    deliver();
  };
  const onEnd = (): void => fail(new MailError('ConnectionClosed', 'The server closed the connection during STARTTLS negotiation.'));
  const onError = (err: Error): void => fail(err);
  socket.on('data', onData).on('end', onEnd).on('error', onError);

  function fail(err: Error): void {
    failure = err;
    waiting?.reject(err);
    waiting = undefined;
  }
  function deliver(): void {
    const at = buffered.indexOf('\n');
    if (at < 0 || !waiting) return;
    const line = buffered.slice(0, at).replace(/\r$/, '');
    buffered = buffered.slice(at + 1);
    const w = waiting;
    waiting = undefined;
    w.resolve(line);
  }
  return {
    next: () =>
      new Promise<string>((resolve, reject) => {
        if (failure) return reject(failure);
        waiting = { resolve, reject };
        deliver();
      }),
    detach: () => {
      socket.off('data', onData).off('end', onEnd).off('error', onError);
    },
  };
}

function setTimeoutPromise(ms: number, endpoint: TlsEndpoint): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new MailError('Timeout', `${endpoint.host}:${endpoint.port} did not complete the TLS handshake within ${Math.round(ms / 1000)} s.`)),
      ms,
    );
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

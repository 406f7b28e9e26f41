import * as assert from 'node:assert/strict';
import { AddressInfo } from 'node:net';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { MailError } from '../../src/protocol/errors';
import { fetchPeerCertificate } from '../../src/protocol/tls/certificate';
import { checkPinnedPeer, tlsOptionsFor } from '../../src/protocol/tls/pinning';
import { makeSelfSignedCertificate, TestCertificate } from './helpers/certs';

/** A TLS server on loopback that greets like IMAPS. */
function startTlsServer(cert: TestCertificate): Promise<tls.Server> {
  const server = tls.createServer({ key: cert.key, cert: cert.cert }, (socket) => {
    socket.on('error', () => undefined);
    socket.end('* OK ready\r\n');
  });
  server.on('tlsClientError', () => undefined);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A plaintext IMAP greeter that upgrades to TLS after `M1 STARTTLS`, or refuses it. */
function startStartTlsServer(cert: TestCertificate, offer: boolean): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('* OK [CAPABILITY IMAP4rev1 STARTTLS] fake ready\r\n');
    socket.once('data', (data) => {
      if (!offer || !/^M1 STARTTLS\r\n$/.test(data.toString())) {
        socket.end('M1 BAD STARTTLS not available\r\n');
        return;
      }
      socket.write('M1 OK Begin TLS negotiation now\r\n');
      const secure = new tls.TLSSocket(socket, { isServer: true, key: cert.key, cert: cert.cert });
      secure.on('error', () => undefined);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (server: net.Server): number => (server.address() as AddressInfo).port;
const close = (server: net.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

function connectWith(port: number, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('server certificates', function () {
  this.timeout(20000);
  let cert: TestCertificate;
  let other: TestCertificate;
  before(() => {
    cert = makeSelfSignedCertificate('localhost', 'DNS:localhost');
    other = makeSelfSignedCertificate('localhost', 'DNS:localhost');
  });

  it('reads the certificate over implicit TLS without trusting it', async () => {
    const server = await startTlsServer(cert);
    try {
      const peer = await fetchPeerCertificate({ protocol: 'imap', host: '127.0.0.1', port: portOf(server), security: 'tls' }, 5000);
      assert.equal(peer.certificate.sha256, cert.sha256);
      assert.equal(peer.authorized, false);
      assert.equal(peer.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.match(peer.certificate.subject, /CN=localhost/);
      assert.match(peer.certificate.pem, /^-----BEGIN CERTIFICATE-----\n/);
    } finally {
      await close(server);
    }
  });

  it('reads the certificate after an IMAP STARTTLS upgrade', async () => {
    const server = await startStartTlsServer(cert, true);
    try {
      const peer = await fetchPeerCertificate({ protocol: 'imap', host: '127.0.0.1', port: portOf(server), security: 'starttls' }, 5000);
      assert.equal(peer.certificate.sha256, cert.sha256);
    } finally {
      await close(server);
    }
  });

  it('fails with StartTlsUnavailable when the server refuses STARTTLS', async () => {
    const server = await startStartTlsServer(cert, false);
    try {
      await assert.rejects(
        fetchPeerCertificate({ protocol: 'imap', host: '127.0.0.1', port: portOf(server), security: 'starttls' }, 5000),
        (err: unknown) => MailError.is(err, 'StartTlsUnavailable'),
      );
    } finally {
      await close(server);
    }
  });

  it('times out on a server that never greets', async () => {
    const server = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      await assert.rejects(
        fetchPeerCertificate({ protocol: 'imap', host: '127.0.0.1', port: portOf(server), security: 'starttls' }, 300),
        (err: unknown) => MailError.is(err, 'Timeout'),
      );
    } finally {
      server.close();
      await new Promise((r) => setImmediate(r));
    }
  });

  it('rejects the self-signed certificate by default', async () => {
    const server = await startTlsServer(cert);
    try {
      await assert.rejects(connectWith(portOf(server), { rejectUnauthorized: true, servername: 'localhost' }), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    } finally {
      await close(server);
    }
  });

  const pinnedTo = (sha256: string) => ({ host: '127.0.0.1', port: 0, security: 'tls' as const, trustedCertificateSha256: sha256 });

  it('accepts exactly the pinned certificate, even for a host name it does not name', async () => {
    const server = await startTlsServer(cert);
    try {
      const socket = await connectWith(portOf(server), { ...tlsOptionsFor(pinnedTo(cert.sha256)), servername: 'mail.elsewhere.example' });
      assert.equal(checkPinnedPeer(socket, pinnedTo(cert.sha256)), undefined);
      socket.destroy();
    } finally {
      await close(server);
    }
  });

  it('rejects a different certificate when another one is pinned, carrying the one presented', async () => {
    const server = await startTlsServer(other);
    try {
      const socket = await connectWith(portOf(server), tlsOptionsFor(pinnedTo(cert.sha256)));
      const refused = checkPinnedPeer(socket, pinnedTo(cert.sha256));
      socket.destroy();
      assert.equal(refused?.code, 'CertificateUntrusted');
      assert.equal(refused?.tlsReason, 'PINNED_CERTIFICATE_MISMATCH');
      assert.equal(refused?.certificate?.sha256, other.sha256);
    } finally {
      await close(server);
    }
  });

  it('verifies normally without a pin, and never below TLS 1.2', () => {
    assert.deepEqual(tlsOptionsFor({ host: 'h', port: 1, security: 'tls' }), { rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    assert.equal(tlsOptionsFor(pinnedTo(cert.sha256)).minVersion, 'TLSv1.2');
  });
});

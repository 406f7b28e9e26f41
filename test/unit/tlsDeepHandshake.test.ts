// One deep-check handshake against local Node TLS servers (implicit TLS): what the server chose,
// a refusal, an offer this client cannot make, a closed port; the served-chain tap on real
// TLS 1.2 bytes (in order and out of order, fed whole and byte by byte); and which suites are weak.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { weaknesses } from '../../src/protocol/probe/tlsDeep/ciphers';
import { handshake, HandshakeEndpoint } from '../../src/protocol/probe/tlsDeep/handshake';
import { CertificateMessageReader, parseCertificateList } from '../../src/protocol/probe/tlsDeep/servedChainTap';
import { ImapDialogue } from '../../src/protocol/probe/imapDialogue';
import { makeTarget } from '../../src/protocol/probe/target';
import { createIntermediateCa, createTestCa, loopbackCertificate, TestCa } from '../fixtures/certificates';

const pems = (bundle: string): string[] => bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
const subjectOf = (der: Buffer): string => new X509Certificate(der).subject;

describe('TLS deep check: one handshake and the served chain', function () {
  this.timeout(30_000);
  let dir: string;
  let root: TestCa;
  let intermediate: TestCa;
  let leaf: { certPem: string; keyPem: string };
  const servers: tls.Server[] = [];

  const serve = async (options: tls.TlsOptions): Promise<number> => {
    const server = tls.createServer(options, (s) => s.end());
    server.on('tlsClientError', () => undefined);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  };
  const endpoint = (port: number): HandshakeEndpoint => ({ target: makeTarget('imaps', 'localhost', port), address: '127.0.0.1', dialogue: () => new ImapDialogue(), timeoutMs: 5000 });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-handshake-'));
    root = createTestCa(path.join(dir, 'root'), 'Tap Root');
    intermediate = createIntermediateCa(root, path.join(dir, 'intermediate'), 'Tap Intermediate');
    const cert = loopbackCertificate(intermediate)(path.join(dir, 'leaf'));
    leaf = { certPem: `${pems(cert.certPem)[0]}\n`, keyPem: cert.keyPem };
  });
  after(() => {
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepted: version, suite (IANA and OpenSSL names) and the chain as served at TLS 1.2', async () => {
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem + intermediate.certPem });
    const o = await handshake(endpoint(port), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', readServedChain: true });
    assert.equal(o.kind, 'accepted');
    if (o.kind !== 'accepted') return;
    assert.equal(o.version, 'TLSv1.2');
    assert.deepEqual(o.cipher, { name: 'ECDHE-RSA-AES128-GCM-SHA256', standardName: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' });
    assert.deepEqual(o.served?.map(subjectOf), ['CN=localhost', 'CN=Tap Intermediate']);
  });

  it('the tap shows a chain served out of order exactly as sent', async () => {
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem + root.certPem + intermediate.certPem });
    const o = await handshake(endpoint(port), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', readServedChain: true });
    assert.equal(o.kind, 'accepted');
    if (o.kind === 'accepted') assert.deepEqual(o.served?.map(subjectOf), ['CN=localhost', 'CN=Tap Root', 'CN=Tap Intermediate']);
  });

  it('TLS 1.3 hides the Certificate message: the tap reports nothing rather than guessing', async () => {
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem + intermediate.certPem });
    const o = await handshake(endpoint(port), { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', readServedChain: true });
    assert.equal(o.kind, 'accepted');
    if (o.kind === 'accepted') assert.equal(o.served, undefined);
  });

  it('refused: a TLS 1.3-only server asked for TLS 1.2 alone', async () => {
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem, minVersion: 'TLSv1.3' });
    const o = await handshake(endpoint(port), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    assert.equal(o.kind, 'refused');
    if (o.kind === 'refused') assert.match(o.code, /ALERT_PROTOCOL_VERSION|ECONNRESET/);
  });

  it('client-cannot: TLS 1.0 with only a TLS 1.2 suite is refused by this side, not blamed on the server', async () => {
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem });
    const o = await handshake(endpoint(port), { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256@SECLEVEL=0' });
    assert.equal(o.kind, 'client-cannot', JSON.stringify(o));
  });

  it('client-cannot: a suite this OpenSSL does not have (3DES) is not reported as refused by the server', async () => {
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem });
    const o = await handshake(endpoint(port), { minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: 'DES-CBC3-SHA@SECLEVEL=0' });
    assert.equal(o.kind, 'client-cannot', JSON.stringify(o));
  });

  it('error: a closed port is not a TLS answer', async () => {
    const port = await serve({ key: leaf.keyPem, cert: leaf.certPem });
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    const o = await handshake(endpoint(port), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    assert.equal(o.kind, 'error');
  });

  it('the Certificate message parser: byte-by-byte records, and lengths that do not add up', () => {
    const ders = [leaf.certPem, intermediate.certPem].map((p) => new X509Certificate(p).raw);
    const list = Buffer.concat(ders.map((d) => Buffer.concat([u24(d.length), d])));
    const body = Buffer.concat([u24(list.length), list]);
    const message = Buffer.concat([Buffer.from([11]), u24(body.length), body]);
    // ServerHello-ish message first, then the Certificate split over two records.
    const hello = Buffer.concat([Buffer.from([2]), u24(4), Buffer.from([3, 3, 0, 0])]);
    const flight = Buffer.concat([hello, message]);
    const half = Math.floor(flight.length / 2);
    const records = Buffer.concat([record(flight.subarray(0, half)), record(flight.subarray(half))]);
    const reader = new CertificateMessageReader();
    for (const byte of records) reader.push(Buffer.from([byte]));
    assert.deepEqual(reader.certificates?.map(subjectOf), ['CN=localhost', 'CN=Tap Intermediate']);

    assert.equal(parseCertificateList(Buffer.concat([u24(list.length + 1), list])), undefined);
    assert.equal(parseCertificateList(Buffer.concat([u24(5), u24(9), Buffer.from([1, 2])])), undefined);
    assert.equal(parseCertificateList(Buffer.from([0, 0])), undefined);
    const alert = new CertificateMessageReader();
    alert.push(Buffer.from([21, 3, 3, 0, 2, 2, 40]));
    alert.push(records);
    assert.equal(alert.certificates, undefined, 'nothing is read after an alert');
  });

  it('weak suites: RC4, 3DES, NULL, anonymous, static RSA, CBC-SHA1 only with TLS 1.0', () => {
    assert.deepEqual(weaknesses('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLSv1.2'), []);
    assert.deepEqual(weaknesses('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLSv1.2'), []);
    assert.deepEqual(weaknesses('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLSv1'), ['CBC with SHA-1 on TLS 1.0 (BEAST, Lucky13)']);
    assert.deepEqual(weaknesses('TLS_RSA_WITH_AES_128_GCM_SHA256', 'TLSv1.2'), ['RSA key exchange: no forward secrecy']);
    assert.deepEqual(weaknesses('TLS_RSA_WITH_RC4_128_SHA', 'TLSv1.2'), ['RC4 (RFC 7465 forbids it)', 'RSA key exchange: no forward secrecy']);
    assert.deepEqual(weaknesses('TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'TLSv1.2'), ['DES/3DES (64-bit blocks, Sweet32)', 'RSA key exchange: no forward secrecy']);
    assert.deepEqual(weaknesses('TLS_ECDH_anon_WITH_AES_256_CBC_SHA', 'TLSv1.2'), ['anonymous: the server is not authenticated']);
    assert.deepEqual(weaknesses('TLS_RSA_WITH_NULL_SHA256', 'TLSv1.2'), ['no encryption (NULL)', 'RSA key exchange: no forward secrecy']);
    assert.deepEqual(weaknesses('TLS_RSA_EXPORT_WITH_RC4_40_MD5', 'TLSv1'), ['EXPORT-grade keys', 'RC4 (RFC 7465 forbids it)', 'RSA key exchange: no forward secrecy', 'MD5 MAC']);
    assert.deepEqual(weaknesses('TLS_AES_128_GCM_SHA256', 'TLSv1.3'), []);
  });
});

function u24(n: number): Buffer {
  return Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

function record(fragment: Buffer): Buffer {
  return Buffer.concat([Buffer.from([22, 3, 3, fragment.length >> 8, fragment.length & 0xff]), fragment]);
}

// The TLS deep check's chain analysis on certificates generated with openssl: root ->
// intermediate -> leaf, served whole, without the intermediate, out of order, with an expired
// intermediate, a 1024-bit key, a wrong host name and a leaf about to expire.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeChain, trustedRoots } from '../../src/protocol/probe/tlsDeep/chain';
import { tlsDeepWarnings } from '../../src/protocol/probe/tlsDeep/warnings';
import { applyTlsDeepWarnings } from '../../src/protocol/probe/tlsDeep';
import { computeWarnings } from '../../src/protocol/probe/warnings';
import type { ProbeReport } from '../../src/shared/probeReport';
import type { TlsDeepReport } from '../../src/shared/tlsDeepReport';
import { generateCertificate } from '../fixtures/net';
import { createIntermediateCa, createTestCa, issueCertificate, loopbackCertificate, TestCa, weakKeyCertificate, wrongHostCertificate } from '../fixtures/certificates';

const x509 = (pem: string): X509Certificate => new X509Certificate(pem);
const pems = (bundle: string): string[] => bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

function deepWith(chain: ReturnType<typeof analyzeChain>): TlsDeepReport {
  return { ms: 0, connections: 0, limits: { maxConnections: 1, timeBudgetMs: 1, parallel: 1 }, versions: [], ciphers: [], notOfferable: [], chain };
}

describe('TLS deep check: chain analysis', function () {
  this.timeout(30_000);
  let dir: string;
  let root: TestCa;
  let intermediate: TestCa;
  let leafPem: string;
  const n = { i: 0 };
  const out = (): string => path.join(dir, `leaf-${n.i++}`);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-chain-'));
    root = createTestCa(path.join(dir, 'root'), 'Chain Test Root');
    intermediate = createIntermediateCa(root, path.join(dir, 'intermediate'), 'Chain Test Intermediate');
    leafPem = pems(loopbackCertificate(intermediate)(out()).certPem)[0];
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const trusted = (): X509Certificate[] => [x509(root.certPem)];

  it('leaf, intermediate, root in order: complete, ordered, name matches, no warnings', () => {
    const a = analyzeChain({ certificates: [leafPem, intermediate.certPem, root.certPem].map(x509), source: 'served', host: '127.0.0.1', trusted: [] });
    assert.equal(a.complete, true);
    assert.equal(a.ordered, true);
    assert.equal(a.nameMatches, true);
    assert.deepEqual(a.certificates.map((c) => c.keyType), ['rsa', 'rsa', 'rsa']);
    assert.equal(a.certificates[0].keyBits, 2048);
    assert.deepEqual(tlsDeepWarnings(deepWith(a), '127.0.0.1'), []);
  });

  it('leaf and intermediate without the root: complete when the root is trusted, incomplete when not', () => {
    const served = [leafPem, intermediate.certPem].map(x509);
    assert.equal(analyzeChain({ certificates: served, source: 'served', host: 'localhost', trusted: trusted() }).complete, true);
    const untrusted = analyzeChain({ certificates: served, source: 'served', host: 'localhost', trusted: trustedRoots() });
    assert.equal(untrusted.complete, false);
    assert.match(untrusted.incompleteReason ?? '', /Chain Test Intermediate.*Chain Test Root|Chain Test Root/);
  });

  it('leaf without its intermediate: tls-chain-incomplete naming the missing issuer, even with the root trusted', () => {
    const a = analyzeChain({ certificates: [x509(leafPem)], source: 'served', host: 'localhost', trusted: trusted() });
    assert.equal(a.complete, false);
    assert.match(a.incompleteReason ?? '', /without the intermediate that issued it \(CN=Chain Test Intermediate\)/);
    assert.deepEqual(tlsDeepWarnings(deepWith(a), 'localhost').map((w) => w.code), ['tls-chain-incomplete']);
  });

  it('root sent before the intermediate: tls-chain-order, still complete', () => {
    const a = analyzeChain({ certificates: [leafPem, root.certPem, intermediate.certPem].map(x509), source: 'served', host: 'localhost', trusted: [] });
    assert.equal(a.ordered, false);
    assert.match(a.orderProblem ?? '', /certificate 1 .* is followed by CN=Chain Test Root, not by its issuer, which is sent as certificate 3/);
    assert.equal(a.complete, true);
    assert.deepEqual(tlsDeepWarnings(deepWith(a), 'localhost').map((w) => w.code), ['tls-chain-order']);
  });

  it('order is not judged on a chain Node re-linked by issuer (TLS 1.3)', () => {
    const a = analyzeChain({ certificates: [leafPem, intermediate.certPem].map(x509), source: 'issuer-links', host: 'localhost', trusted: trusted() });
    assert.equal(a.ordered, null);
  });

  it('expired intermediate: tls-intermediate-expired naming it', () => {
    const old = createIntermediateCa(root, path.join(dir, 'old-intermediate'), 'Chain Test Old Intermediate', -2);
    const leaf = pems(loopbackCertificate(old)(out()).certPem)[0];
    const a = analyzeChain({ certificates: [leaf, old.certPem].map(x509), source: 'served', host: 'localhost', trusted: trusted() });
    assert.deepEqual(a.expiredIntermediates, ['CN=Chain Test Old Intermediate']);
    assert.deepEqual(tlsDeepWarnings(deepWith(a), 'localhost').map((w) => w.code), ['tls-intermediate-expired']);
  });

  it('a 1024-bit RSA leaf: tls-key-weak with its size', () => {
    const leaf = pems(weakKeyCertificate(intermediate, 1024)(out()).certPem)[0];
    const a = analyzeChain({ certificates: [leaf, intermediate.certPem].map(x509), source: 'served', host: 'localhost', trusted: trusted() });
    assert.equal(a.certificates[0].keyBits, 1024);
    const w = tlsDeepWarnings(deepWith(a), 'localhost');
    assert.deepEqual(w.map((x) => x.code), ['tls-key-weak']);
    assert.match(w[0].message, /RSA 1024 bits \(at least 2048 expected\)/);
  });

  it('an EC P-256 leaf: key type ec, curve named, not weak', () => {
    const ecDir = out();
    fs.mkdirSync(ecDir, { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(ecDir, 'k.pem'), '-out', path.join(ecDir, 'c.pem'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '2'], { stdio: 'ignore' });
    const a = analyzeChain({ certificates: [x509(fs.readFileSync(path.join(ecDir, 'c.pem'), 'utf8'))], source: 'served', host: 'localhost', trusted: [] });
    assert.equal(a.certificates[0].keyType, 'ec');
    assert.equal(a.certificates[0].curve, 'prime256v1');
    assert.deepEqual(a.weakKeys, []);
    assert.equal(a.complete, true);
  });

  it('another host name: tls-name-mismatch saying which names it has', () => {
    const leaf = pems(wrongHostCertificate(intermediate)(out()).certPem)[0];
    const a = analyzeChain({ certificates: [leaf, intermediate.certPem].map(x509), source: 'served', host: 'localhost', trusted: trusted() });
    assert.equal(a.nameMatches, false);
    assert.match(a.nameError ?? '', /does not name localhost \(it names DNS:mail.wrong-host.example\)/);
    assert.deepEqual(tlsDeepWarnings(deepWith(a), 'localhost').map((w) => w.code), ['tls-name-mismatch']);
  });

  it('a leaf expiring in 3 days: tls-cert-expiring; 30 days: none', () => {
    const soon = pems(loopbackCertificate(intermediate, 3)(out()).certPem)[0];
    const a = analyzeChain({ certificates: [soon, intermediate.certPem].map(x509), source: 'served', host: 'localhost', trusted: trusted() });
    assert.ok(a.leafDaysLeft >= 2 && a.leafDaysLeft <= 3, String(a.leafDaysLeft));
    assert.deepEqual(tlsDeepWarnings(deepWith(a), 'localhost').map((w) => w.code), ['tls-cert-expiring']);
    const later = pems(loopbackCertificate(intermediate, 30)(out()).certPem)[0];
    const b = analyzeChain({ certificates: [later, intermediate.certPem].map(x509), source: 'served', host: 'localhost', trusted: trusted() });
    assert.deepEqual(tlsDeepWarnings(deepWith(b), 'localhost'), []);
  });

  it('--tls with the basic check: an expiring, wrong-host certificate is reported once per finding, under the basic codes', () => {
    const day = 24 * 3600 * 1000;
    const leaf = pems(issueCertificate(intermediate, out(), { commonName: 'mail.wrong-host.example', altNames: 'DNS:mail.wrong-host.example', notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + 3 * day) }).certPem)[0];
    const a = analyzeChain({ certificates: [leaf, intermediate.certPem].map(x509), source: 'served', host: 'localhost', trusted: trusted() });
    assert.deepEqual(tlsDeepWarnings(deepWith(a), 'localhost').map((w) => w.code).sort(), ['tls-cert-expiring', 'tls-name-mismatch']);
    const certificate = { subject: 'CN=mail.wrong-host.example', issuer: 'CN=Chain Test Intermediate', validFrom: '', validTo: x509(leaf).validTo, san: 'DNS:mail.wrong-host.example', daysToExpiry: 2, expired: false, selfSigned: false };
    const report = (sha256: string): ProbeReport => {
      const r: ProbeReport = {
        url: 'imaps://localhost:993', protocol: 'imap', scheme: 'imaps', host: 'localhost', port: 993, startedAt: '2026-12-01T00:00:00.000Z', totalMs: 1,
        connect: { ok: true, ms: 1 }, greeting: { ok: true, banner: '* OK' },
        tls: { mode: 'implicit', ok: true, authorized: false, authorizationError: 'ERR_TLS_CERT_ALTNAME_INVALID', hostnameMatch: false, hostnameError: 'not localhost', certificate: { ...certificate, sha256 } },
        capabilities: { beforeTls: null, afterTls: ['IMAP4rev1'], afterLogin: null },
        auth: { mechanisms: [], apop: false, loginDisabled: false, plaintextBeforeTls: false, login: { attempted: false } },
        warnings: [], explanations: [], phases: [], tlsDeep: deepWith(a),
      };
      r.warnings = computeWarnings(r);
      applyTlsDeepWarnings(r);
      return r;
    };
    const same = report(a.certificates[0].sha256);
    const codes = same.warnings.map((w) => w.code);
    assert.ok(codes.includes('certificate-expiring') && codes.includes('certificate-wrong-host'), codes.join(' '));
    assert.ok(!codes.includes('tls-cert-expiring') && !codes.includes('tls-name-mismatch'), codes.join(' '));
    assert.equal(new Set(codes).size, codes.length);
    assert.deepEqual(same.tlsDeep?.explanations?.map((e) => e.code) ?? [], []);
    // Another certificate behind the deep check's handshake (a load balancer's other node): both are findings.
    const other = report('00:11').warnings.map((w) => w.code);
    assert.ok(other.includes('tls-cert-expiring') && other.includes('certificate-expiring'), other.join(' '));
  });

  it('a self-signed leaf (CA:FALSE, no keyCertSign, as most self-signed server certificates): complete, not "missing intermediate"', () => {
    const selfDir = out();
    fs.mkdirSync(selfDir, { recursive: true });
    const self = generateCertificate(selfDir);
    const a = analyzeChain({ certificates: [x509(self.certPem)], source: 'served', host: 'localhost', trusted: [] });
    assert.equal(a.certificates[0].selfSigned, true);
    assert.equal(a.complete, true, a.incompleteReason);
    // The fixture certificate lives 7 days, so only the expiry warning is due.
    assert.deepEqual(tlsDeepWarnings(deepWith(a), 'localhost').map((w) => w.code), ['tls-cert-expiring']);
  });

  it('no certificate at all: incomplete, says so', () => {
    const a = analyzeChain({ certificates: [], source: 'served', host: 'localhost', trusted: [] });
    assert.equal(a.complete, false);
    assert.equal(a.incompleteReason, 'the server sent no certificate');
  });
});

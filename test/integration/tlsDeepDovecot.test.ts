// The TLS deep check (`mailroom-check --tls`) against real Dovecot configured well and badly:
// TLS 1.2+ with a full chain, old TLS allowed, a weak suite, a chain without its intermediate,
// a chain in the wrong order, a certificate expiring in 3 days, a 1024-bit key; implicit TLS and
// STARTTLS (IMAP, POP3), and SMTP STARTTLS on the sink.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { probeEndpoint } from '../../src/protocol/probe/probe';
import { scanHost } from '../../src/protocol/probe/scan';
import { TLS_DEEP_LIMITS } from '../../src/protocol/probe/tlsDeep/limits';
import { renderMarkdown } from '../../src/protocol/probe/render';
import type { ProbeReport } from '../../src/shared/probeReport';
import type { TlsDeepReport, TlsVersionName } from '../../src/shared/tlsDeepReport';
import { certificateWithChain, createIntermediateCa, createTestCa, issueCertificate, loopbackCertificate, TestCa, weakKeyCertificate } from '../fixtures/certificates';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { startSmtpSink } from '../fixtures/smtpSink';
import { startCountingProxy } from '../fixtures/countingProxy';
import { requireDovecot } from './requireDovecot';

const codes = (r: ProbeReport): string[] => r.warnings.map((w) => w.code);
const tlsCodes = (r: ProbeReport): string[] => codes(r).filter((c) => c.startsWith('tls-')).sort();
const versions = (d: TlsDeepReport): Record<string, string> => Object.fromEntries(d.versions.map((v) => [v.version, v.result]));
const suites = (d: TlsDeepReport, v: TlsVersionName): string[] => d.ciphers.find((c) => c.version === v)?.accepted.map((c) => c.name) ?? [];
const DAY_MS = 24 * 60 * 60 * 1000;

function deep(r: ProbeReport): TlsDeepReport {
  assert.ok(r.tlsDeep, 'the report has no TLS deep check');
  assert.equal(r.tlsDeep.skipped, undefined, r.tlsDeep.skipped);
  assert.ok(r.tlsDeep.connections > 0 && r.tlsDeep.connections <= r.tlsDeep.limits.maxConnections, `connections ${r.tlsDeep.connections}`);
  return r.tlsDeep;
}

describe('TLS deep check against Dovecot', function () {
  this.timeout(120_000);
  let root: TestCa;
  let intermediate: TestCa;
  let caDir: string;
  const started: DovecotFixture[] = [];
  const dovecot = async (options: Parameters<typeof startDovecot>[0]): Promise<DovecotFixture> => {
    const d = await startDovecot(options);
    started.push(d);
    return d;
  };
  const check = (url: string, extra: { ca?: string[] } = {}): Promise<ProbeReport> => probeEndpoint(url, { ca: [root.certPem], tlsDeep: true, ...extra });

  before(function () {
    requireDovecot(this);
    caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-tlsdeep-ca-'));
    root = createTestCa(path.join(caDir, 'root'), 'Deep Test Root');
    intermediate = createIntermediateCa(root, path.join(caDir, 'intermediate'), 'Deep Test Intermediate');
  });

  after(async () => {
    await Promise.all(started.map((d) => d.stop()));
    if (caDir) fs.rmSync(caDir, { recursive: true, force: true });
  });

  describe('configured well: TLS 1.2+, full chain root -> intermediate -> leaf', () => {
    let d: DovecotFixture;
    before(async () => {
      d = await dovecot({ makeCertificate: loopbackCertificate(intermediate) });
    });

    it('IMAPS: TLS 1.0/1.1 refused, 1.2/1.3 accepted with their suites, chain served in order, no tls-* warning', async () => {
      const r = await check(`imaps://localhost:${d.ports.imaps}`);
      const t = deep(r);
      assert.deepEqual(versions(t), { TLSv1: 'refused', 'TLSv1.1': 'refused', 'TLSv1.2': 'accepted', 'TLSv1.3': 'accepted' });
      assert.ok(suites(t, 'TLSv1.2').includes('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'), suites(t, 'TLSv1.2').join(' '));
      assert.ok(!suites(t, 'TLSv1.2').some((s) => s.startsWith('TLS_RSA_')), 'no static RSA suite with the default cipher list');
      assert.deepEqual([...suites(t, 'TLSv1.3')].sort(), ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
      assert.ok(t.ciphers.every((c) => c.complete));
      assert.equal(t.chain?.source, 'served');
      assert.deepEqual(t.chain?.certificates.map((c) => c.subject), ['CN=localhost', 'CN=Deep Test Intermediate']);
      assert.equal(t.chain?.complete, true);
      assert.equal(t.chain?.ordered, true);
      assert.equal(t.chain?.nameMatches, true);
      assert.equal(t.ocspStapled, false);
      assert.deepEqual(t.alpn, { offered: ['imap'], chosen: null });
      assert.deepEqual(tlsCodes(r), []);
      const md = renderMarkdown([r]);
      assert.match(md, /### TLS deep check/);
      assert.match(md, /\| TLS 1\.0 \| refused \|/);
      assert.match(md, /ALPN: offered imap; server chose none/);
    });

    it('a scan with the deep check: Dovecot never sees more than the per-host cap of connections at once, across all ports', async () => {
      const proxy = await startCountingProxy([d.ports.imap, d.ports.imaps, d.ports.pop3, d.ports.pop3s]);
      try {
        const endpoints = [
          { scheme: 'imap' as const, port: proxy.ports.get(d.ports.imap)! },
          { scheme: 'imaps' as const, port: proxy.ports.get(d.ports.imaps)! },
          { scheme: 'pop3' as const, port: proxy.ports.get(d.ports.pop3)! },
          { scheme: 'pop3s' as const, port: proxy.ports.get(d.ports.pop3s)! },
        ];
        const reports = await scanHost('localhost', { endpoints, ca: [root.certPem], tlsDeep: true, deep: true });
        for (const r of reports) {
          assert.equal(r.failedPhase, undefined, `${r.url}: ${r.error?.message ?? ''}`);
          const t = deep(r);
          assert.equal(t.truncated, undefined);
          assert.deepEqual(versions(t), { TLSv1: 'refused', 'TLSv1.1': 'refused', 'TLSv1.2': 'accepted', 'TLSv1.3': 'accepted' });
        }
        // Every connection the check opened went through the proxy: its own, the --deep probes (STARTTLS ports) and the handshakes.
        const opened = reports.reduce((n, r) => n + 1 + (r.tls.mode === 'starttls' ? 2 : 0) + r.tlsDeep!.connections, 0);
        assert.equal(proxy.total, opened);
        assert.ok(proxy.total > 4 * TLS_DEEP_LIMITS.connectionsPerHost, `${proxy.total} connections in all`);
        assert.ok(proxy.peak <= TLS_DEEP_LIMITS.connectionsPerHost, `the server saw ${proxy.peak} connections at once; the cap per host is ${TLS_DEEP_LIMITS.connectionsPerHost}`);
        assert.ok(proxy.peak >= TLS_DEEP_LIMITS.parallel, `the cap is used, not undercut: peak ${proxy.peak}`);
      } finally {
        await proxy.stop();
      }
    });

    it('POP3 STARTTLS: the same versions through STLS on every connection', async () => {
      const r = await check(`pop3://localhost:${d.ports.pop3}`);
      const t = deep(r);
      assert.deepEqual(versions(t), { TLSv1: 'refused', 'TLSv1.1': 'refused', 'TLSv1.2': 'accepted', 'TLSv1.3': 'accepted' });
      assert.deepEqual(t.alpn?.offered, ['pop3']);
      assert.deepEqual(tlsCodes(r), []);
    });
  });

  describe('configured badly', () => {
    it('old TLS allowed (ssl_min_protocol = TLSv1 at security level 0): tls-old-protocol, CBC-SHA1 with TLS 1.0 named weak; IMAPS and IMAP STARTTLS', async () => {
      const d = await dovecot({ makeCertificate: loopbackCertificate(intermediate), configExtra: 'ssl_min_protocol = TLSv1\nssl_cipher_list = DEFAULT:@SECLEVEL=0' });
      for (const url of [`imaps://localhost:${d.ports.imaps}`, `imap://localhost:${d.ports.imap}`]) {
        const r = await check(url);
        const t = deep(r);
        assert.deepEqual(versions(t), { TLSv1: 'accepted', 'TLSv1.1': 'accepted', 'TLSv1.2': 'accepted', 'TLSv1.3': 'accepted' }, url);
        assert.ok(tlsCodes(r).includes('tls-old-protocol'), `${url}: ${codes(r).join(' ')}`);
        assert.ok(tlsCodes(r).includes('tls-weak-cipher'), `${url}: ${codes(r).join(' ')}`);
        const tls10 = t.ciphers.find((c) => c.version === 'TLSv1')!;
        assert.ok(tls10.accepted.some((c) => c.name === 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA' && c.weak.some((w) => /CBC with SHA-1 on TLS 1\.0/.test(w))), JSON.stringify(tls10));
        assert.match(r.warnings.find((w) => w.code === 'tls-old-protocol')!.message, /TLS 1\.0 and TLS 1\.1/);
      }
    });

    it('a weak suite in ssl_cipher_list (static RSA key exchange): tls-weak-cipher names it; POP3S and POP3 STARTTLS', async () => {
      const d = await dovecot({ makeCertificate: loopbackCertificate(intermediate), configExtra: 'ssl_cipher_list = ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA' });
      for (const url of [`pop3s://localhost:${d.ports.pop3s}`, `pop3://localhost:${d.ports.pop3}`]) {
        const r = await check(url);
        const t = deep(r);
        assert.deepEqual(suites(t, 'TLSv1.2').sort(), ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA'], url);
        const w = r.warnings.find((x) => x.code === 'tls-weak-cipher');
        assert.ok(w, `${url}: ${codes(r).join(' ')}`);
        assert.match(w.message, /TLS_RSA_WITH_AES_128_CBC_SHA with TLS 1\.2 \(RSA key exchange: no forward secrecy\)/);
        assert.ok(!tlsCodes(r).includes('tls-old-protocol'));
      }
    });

    it('leaf served without its intermediate: tls-chain-incomplete although the root is trusted; IMAPS and IMAP STARTTLS', async () => {
      const now = Date.now();
      const d = await dovecot({
        makeCertificate: (dir) => issueCertificate(intermediate, dir, { commonName: 'localhost', altNames: 'DNS:localhost,IP:127.0.0.1', notBefore: new Date(now - DAY_MS), notAfter: new Date(now + 365 * DAY_MS), leafOnly: true }),
      });
      for (const url of [`imaps://localhost:${d.ports.imaps}`, `imap://localhost:${d.ports.imap}`]) {
        const r = await check(url);
        const t = deep(r);
        assert.equal(t.chain?.complete, false, url);
        assert.deepEqual(t.chain?.certificates.map((c) => c.subject), ['CN=localhost']);
        assert.deepEqual(tlsCodes(r), ['tls-chain-incomplete'], url);
        assert.match(r.warnings.find((w) => w.code === 'tls-chain-incomplete')!.message, /without the intermediate that issued it \(CN=Deep Test Intermediate\)/);
      }
    });

    it('chain sent as leaf, root, intermediate: tls-chain-order (IMAPS)', async () => {
      const d = await dovecot({ makeCertificate: certificateWithChain(intermediate, root.certPem + intermediate.certPem) });
      const r = await check(`imaps://localhost:${d.ports.imaps}`);
      const t = deep(r);
      assert.equal(t.chain?.ordered, false);
      assert.deepEqual(t.chain?.certificates.map((c) => c.subject), ['CN=localhost', 'CN=Deep Test Root', 'CN=Deep Test Intermediate']);
      assert.deepEqual(tlsCodes(r), ['tls-chain-order']);
    });

    it('a certificate expiring in 3 days: one expiry warning with the days left, not one from each check (POP3 STARTTLS)', async () => {
      const d = await dovecot({ makeCertificate: loopbackCertificate(intermediate, 3) });
      const r = await check(`pop3://localhost:${d.ports.pop3}`);
      const t = deep(r);
      assert.ok(t.chain!.leafDaysLeft < 14, String(t.chain!.leafDaysLeft));
      assert.deepEqual(tlsCodes(r), [], 'the deep check found it too, about the same certificate');
      assert.deepEqual(codes(r).filter((c) => /expir/.test(c)), ['certificate-expiring']);
      assert.match(r.warnings.find((w) => w.code === 'certificate-expiring')!.message, /expires in [23] day\(s\)/);
    });

    it('a 1024-bit RSA key (Dovecot at security level 0 serves it): tls-key-weak (IMAPS)', async () => {
      const d = await dovecot({ makeCertificate: weakKeyCertificate(intermediate, 1024), configExtra: 'ssl_cipher_list = DEFAULT:@SECLEVEL=0' });
      const r = await check(`imaps://localhost:${d.ports.imaps}`);
      const t = deep(r);
      assert.equal(t.chain?.certificates[0].keyBits, 1024);
      assert.ok(tlsCodes(r).includes('tls-key-weak'), codes(r).join(' '));
      assert.match(r.warnings.find((w) => w.code === 'tls-key-weak')!.message, /RSA 1024 bits/);
    });
  });

  it('a server capped at TLS 1.1: the check itself fails at TLS, the deep check still names what it accepts (POP3S)', async () => {
    const d = await dovecot({ makeCertificate: loopbackCertificate(intermediate), outdatedTlsOnly: true });
    const r = await check(`pop3s://localhost:${d.ports.pop3s}`);
    assert.equal(r.failedPhase, 'tls');
    const t = deep(r);
    assert.deepEqual(versions(t), { TLSv1: 'accepted', 'TLSv1.1': 'accepted', 'TLSv1.2': 'refused', 'TLSv1.3': 'refused' });
    assert.equal(t.chain?.source, 'served', 'TLS 1.1 sends the chain in the clear too');
    assert.equal(t.chain?.complete, true);
    assert.ok(tlsCodes(r).includes('tls-old-protocol'));
  });

  it('SMTP STARTTLS (sink): versions through EHLO + STARTTLS, ALPN smtp offered', async () => {
    const now = Date.now();
    const cert = issueCertificate(intermediate, path.join(caDir, 'smtp'), { commonName: 'localhost', altNames: 'DNS:localhost,IP:127.0.0.1', notBefore: new Date(now - DAY_MS), notAfter: new Date(now + 365 * DAY_MS) });
    const sink = await startSmtpSink({ key: cert.keyPem, cert: cert.certPem });
    try {
      const r = await check(`submission://localhost:${sink.port}`);
      const t = deep(r);
      assert.equal(versions(t)['TLSv1.2'], 'accepted');
      assert.equal(versions(t)['TLSv1.3'], 'accepted');
      assert.deepEqual(t.alpn?.offered, ['smtp']);
      assert.equal(t.chain?.complete, true);
    } finally {
      await sink.stop();
    }
  });

  it('an endpoint without STARTTLS: the deep check says why it did not run', async () => {
    const sink = await startSmtpSink({ disableStartTls: true });
    try {
      const r = await check(`submission://localhost:${sink.port}`);
      assert.match(r.tlsDeep?.skipped ?? '', /does not offer STARTTLS/);
      assert.deepEqual(tlsCodes(r), []);
    } finally {
      await sink.stop();
    }
  });
});

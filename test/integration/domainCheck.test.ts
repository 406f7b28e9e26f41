// `mailroom-check --domain` and checkDomain() against two domains served on loopback: a real DNS
// server (dns2) with MX, TXT, A, PTR, SRV and TLSA records, an HTTPS server for MTA-STS and
// autoconfig (test CA), and SMTP sinks as the MX hosts' ports 25, 465 and 587.
import * as assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli/mailroomCheck';
import { checkDomain, createDomainResolver, renderDomainMarkdown } from '../../src/protocol/probe/domain';
import { checkMtaSts } from '../../src/protocol/probe/domain/mtaSts';
import type { DomainReport } from '../../src/protocol/probe/domain/types';
import { createTestCa, issueCertificate, TestCa } from '../fixtures/certificates';
import { configFile, DnsZone, LocalDns, loopbackDial, startLocalDns, startWebServers, WebServers } from '../fixtures/discoveryDomain';
import type { GeneratedCertificate } from '../fixtures/net';
import { SmtpSink, startSmtpSink } from '../fixtures/smtpSink';

const POLICY = (mx: string, mode = 'enforce'): string => `version: STSv1\r\nmode: ${mode}\r\nmx: ${mx}\r\nmax_age: 604800\r\n`;
const text = (body: string) => (_req: unknown, res: { writeHead(s: number, h: Record<string, string>): { end(b: string): void } }) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body);

function spki(pem: string): Buffer {
  return new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
}

describe('mailroom-check --domain', function () {
  this.timeout(60_000);
  let tmp: string;
  let ca: TestCa;
  let leaf: GeneratedCertificate;
  let dns: LocalDns;
  let web: WebServers;
  const sinks: SmtpSink[] = [];
  let dial: ReturnType<typeof loopbackDial>;
  /** What dial answers; tests may repoint a host's port. */
  let map: Map<string, number>;
  let env: NodeJS.ProcessEnv;
  let zone: DnsZone;
  let goodTlsa: NonNullable<DnsZone['tlsa']>[string];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-domain-'));
    ca = createTestCa(path.join(tmp, 'ca'), 'Mailroom Domain Test CA');
    const now = Date.now();
    leaf = issueCertificate(ca, path.join(tmp, 'leaf'), {
      commonName: 'mx.good.test',
      altNames: 'DNS:good.test,DNS:*.good.test,DNS:bad.test,DNS:*.bad.test,DNS:huge.test,DNS:*.huge.test',
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 90 * 86_400_000),
    });
    const tls = { key: leaf.keyPem, cert: leaf.certPem };
    const [good25, good465, good587, bad25] = await Promise.all([
      startSmtpSink(tls),
      startSmtpSink({ ...tls, secure: true }),
      startSmtpSink(tls),
      startSmtpSink({ disableStartTls: true }),
    ]);
    sinks.push(good25, good465, good587, bad25);
    web = await startWebServers(leaf);
    goodTlsa = [{ usage: 3, selector: 1, matchingType: 1, data: createHash('sha256').update(spki(leaf.certPem)).digest() }];
    const badIncludes = Array.from({ length: 11 }, (_, i) => `include:i${i}.bad.test`).join(' ');
    zone = {
      mx: { 'good.test': [{ exchange: 'mx.good.test', priority: 10 }], 'bad.test': [{ exchange: 'mx.bad.test', priority: 10 }] },
      a: { 'mx.good.test': ['127.0.0.10'], 'mx.bad.test': ['127.0.0.20'] },
      // (c-ares answers PTR from /etc/hosts first, so these addresses are ones it does not list; dial decides where the probe connects.)
      ptr: { '10.0.0.127.in-addr.arpa': ['mx.good.test'], '20.0.0.127.in-addr.arpa': ['host.elsewhere.test'] },
      txt: {
        'good.test': ['v=spf1 mx include:_spf.good.test -all', 'google-site-verification=abc'],
        '_spf.good.test': ['v=spf1 ip4:192.0.2.0/24 -all'],
        '_dmarc.good.test': ['v=DMARC1; p=reject; rua=mailto:dmarc@good.test; adkim=s'],
        '_mta-sts.good.test': ['v=STSv1; id=2026120201'],
        '_smtp._tls.good.test': ['v=TLSRPTv1; rua=mailto:tls@good.test'],
        'bad.test': [`v=spf1 ${badIncludes} +all`],
        ...Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`i${i}.bad.test`, ['v=spf1 ip4:192.0.2.1 -all']])),
        '_mta-sts.bad.test': ['v=STSv1; id=1'],
        '_mta-sts.huge.test': ['v=STSv1; id=1'],
      },
      srv: { '_submissions._tcp.good.test': [{ target: 'mx.good.test', port: 465 }] },
      tlsa: { '_25._tcp.mx.good.test': goodTlsa },
      // The zone is signed and the resolver validates: its TLSA answer carries the AD bit.
      authenticated: ['_25._tcp.mx.good.test'],
    };
    dns = await startLocalDns(zone, { tcp: true });
    web.https.set('mta-sts.good.test/.well-known/mta-sts.txt', text(POLICY('mx.good.test')));
    web.https.set('mta-sts.bad.test/.well-known/mta-sts.txt', text(POLICY('other.bad.test')));
    web.https.set('autoconfig.good.test/mail/config-v1.1.xml', text(configFile([['imap', 'mx.good.test', 993, 'SSL']], [])));
    map = new Map<string, number>([
      ['mx.good.test:25', good25.port],
      ['mx.good.test:465', good465.port],
      ['mx.good.test:587', good587.port],
      ['mx.bad.test:25', bad25.port],
      ['mta-sts.good.test', web.httpsPort],
      ['autoconfig.good.test', web.httpsPort],
      ['good.test', web.httpsPort],
      ['mta-sts.bad.test', web.httpsPort],
      ['mta-sts.huge.test', web.httpsPort],
    ]);
    dial = loopbackDial(map);
    env = { MAILROOM_DISCOVERY_DNS: `127.0.0.1:${dns.port}`, MAILROOM_DISCOVERY_HOSTS: [...map].map(([k, v]) => `${k}=127.0.0.1:${v}`).join(',') };
  });

  after(async () => {
    await Promise.all([dns?.stop(), web?.stop(), ...sinks.map((s) => s.stop())]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  function check(domain: string): Promise<DomainReport> {
    return checkDomain(domain, { resolver: createDomainResolver({ servers: [`127.0.0.1:${dns.port}`], timeoutMs: 2000 }), dial, ca: [ca.certPem], probeTimeoutMs: 5000, dnsTimeoutMs: 2000, fetchTimeoutMs: 5000 });
  }

  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env });
    return { code, out, err };
  }

  it('a well-configured domain: every part found, no findings, exit 0', async () => {
    const { code, out, err } = await run(['--domain', 'Good.Test.', '--json', '--ca', ca.certPath, '--timeout', '5000']);
    assert.equal(err, '');
    const report = JSON.parse(out) as DomainReport;
    assert.deepEqual(report.findings, []);
    assert.equal(code, EXIT.ok);
    assert.equal(report.domain, 'good.test');
    const [mx] = report.mx;
    assert.equal(mx.host, 'mx.good.test');
    assert.deepEqual(mx.ports.map((p) => [p.port, p.tls.mode, p.tls.ok, p.tls.authorized]), [[25, 'starttls', true, true], [465, 'implicit', true, true], [587, 'starttls', true, true]]);
    assert.deepEqual(mx.reverse, [{ address: '127.0.0.10', names: ['mx.good.test'], forwardConfirmed: true }]);
    assert.equal(mx.dane?.matches, true);
    assert.equal(mx.dane?.matchedBy, '3 1 1');
    assert.equal(report.spf.dnsLookups, 2);
    assert.equal(report.spf.all, '-');
    assert.equal(report.dmarc.policy?.p, 'reject');
    assert.deepEqual(report.dmarc.policy?.rua, ['mailto:dmarc@good.test']);
    assert.equal(report.dmarc.policy?.adkim, 's');
    assert.deepEqual(report.mtaSts.policy, { version: 'STSv1', mode: 'enforce', maxAge: 604800, mx: ['mx.good.test'] });
    assert.deepEqual(report.mtaSts.unmatchedMx, []);
    assert.deepEqual(report.tlsRpt.rua, ['mailto:tls@good.test']);
    assert.deepEqual(report.setup.srv.find((s) => s.name === '_submissions._tcp.good.test')?.targets, ['mx.good.test:465']);
    assert.equal(report.setup.autoconfig.find((a) => a.url.startsWith('https://autoconfig.good.test/'))?.ok, true);
  });

  it('a badly configured domain: each problem named with its code, exit 1, in Markdown too', async () => {
    const report = await check('bad.test');
    const codes = report.findings.filter((f) => f.level === 'warning').map((f) => f.code).sort();
    assert.deepEqual(codes, ['dmarc-missing', 'mta-sts-mx-mismatch', 'mx-no-starttls', 'mx-ptr-mismatch', 'spf-plus-all', 'spf-too-many-lookups']);
    assert.deepEqual(report.findings.filter((f) => f.level === 'info').map((f) => f.code).sort(), ['autoconfig-missing', 'dane-missing', 'tls-rpt-missing']);
    assert.equal(report.spf.dnsLookups, 11);
    assert.deepEqual(report.mtaSts.unmatchedMx, ['mx.bad.test']);
    assert.match(report.findings.find((f) => f.code === 'mx-ptr-mismatch')!.message, /127\.0\.0\.20 .*host\.elsewhere\.test/);

    const { code, out } = await run(['--domain', 'bad.test', '--ca', ca.certPath, '--timeout', '5000', '--fail-on', 'warning']);
    assert.equal(code, EXIT.warnings);
    assert.equal((await run(['--domain', 'bad.test', '--ca', ca.certPath, '--timeout', '5000', '--json'])).code, EXIT.ok, 'warnings alone exit 0 unless --fail-on warning');
    assert.match(out, /^# Mail domain bad\.test/);
    assert.match(out, /- WARNING `spf-too-many-lookups`: Evaluating the SPF record of bad\.test takes 11 DNS lookups/);
    assert.match(out, /- WARNING `dmarc-missing`: .*\n {2}Fix: Publish "v=DMARC1/);
    assert.match(out, /- port 25: answers, no STARTTLS/);
  });

  it('DANE: a TLSA record of another certificate is dane-mismatch; 3 0 2 and 2 0 1 of the served chain match', async () => {
    const other = createHash('sha256').update(spki(ca.certPem)).digest();
    const leafDer = new X509Certificate(leaf.certPem).raw;
    const caDer = new X509Certificate(ca.certPem).raw;
    try {
      zone.tlsa!['_25._tcp.mx.good.test'] = [{ usage: 3, selector: 1, matchingType: 1, data: other }];
      const mismatch = await check('good.test');
      assert.deepEqual(mismatch.findings.map((f) => f.code), ['dane-mismatch']);
      assert.equal(mismatch.mx[0].dane?.matches, false);

      zone.tlsa!['_25._tcp.mx.good.test'] = [{ usage: 3, selector: 0, matchingType: 2, data: createHash('sha512').update(leafDer).digest() }];
      assert.equal((await check('good.test')).mx[0].dane?.matchedBy, '3 0 2');

      zone.tlsa!['_25._tcp.mx.good.test'] = [{ usage: 2, selector: 0, matchingType: 1, data: createHash('sha256').update(caDer).digest() }];
      assert.equal((await check('good.test')).mx[0].dane?.matchedBy, '2 0 1');
    } finally {
      zone.tlsa!['_25._tcp.mx.good.test'] = goodTlsa;
    }
  });

  it('DANE: a truncated UDP answer is asked again over TCP; an answer the resolver did not validate (no AD) is dane-unvalidated', async () => {
    try {
      zone.truncatedOverUdp = ['_25._tcp.mx.good.test'];
      const overTcp = await check('good.test');
      assert.deepEqual(overTcp.findings, []);
      assert.equal(overTcp.mx[0].dane?.transport, 'tcp');
      assert.equal(overTcp.mx[0].dane?.authenticated, true);
      assert.equal(overTcp.mx[0].dane?.matchedBy, '3 1 1');
      assert.match(renderDomainMarkdown(overTcp), /DANE _25\._tcp\.mx\.good\.test: 1 TLSA record\(s\), matches the served certificate \(3 1 1\), DNSSEC-validated by the resolver \(read over TCP: the UDP answer was truncated\)/);

      zone.truncatedOverUdp = [];
      zone.authenticated = [];
      const unvalidated = await check('good.test');
      assert.equal(unvalidated.mx[0].dane?.transport, 'udp');
      assert.equal(unvalidated.mx[0].dane?.authenticated, false);
      assert.equal(unvalidated.mx[0].dane?.matches, true, 'the record still matches; it is only not to be trusted');
      assert.deepEqual(unvalidated.findings.map((f) => [f.code, f.level]), [['dane-unvalidated', 'warning']]);
      assert.match(unvalidated.findings[0].message, /without the resolver's AD bit: they were not validated with DNSSEC/);
      const { code, out } = await run(['--domain', 'good.test', '--ca', ca.certPath, '--timeout', '5000', '--fail-on', 'warning']);
      assert.equal(code, EXIT.warnings);
      assert.match(out, /- WARNING `dane-unvalidated`: .*\n {2}Fix: Sign the zone with DNSSEC/);
      assert.match(out, /not DNSSEC-validated by the resolver/);
    } finally {
      zone.truncatedOverUdp = [];
      zone.authenticated = ['_25._tcp.mx.good.test'];
    }
  });

  it('port 25 with a certificate from an unknown CA: a warning under an enforce MTA-STS policy, a note in testing mode', async () => {
    const otherCa = createTestCa(path.join(tmp, 'other-ca'), 'Not Trusted CA');
    const now = Date.now();
    const stranger = issueCertificate(otherCa, path.join(tmp, 'stranger'), { commonName: 'mx.good.test', altNames: 'DNS:mx.good.test', notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 30 * 86_400_000) });
    const sink = await startSmtpSink({ key: stranger.keyPem, cert: stranger.certPem });
    const original = map.get('mx.good.test:25')!;
    try {
      map.set('mx.good.test:25', sink.port);
      const enforce = await check('good.test');
      const cert = enforce.findings.find((f) => f.code === 'mx-certificate-invalid');
      assert.equal(cert?.level, 'warning', JSON.stringify(enforce.findings));
      assert.match(cert.message, /mx\.good\.test serves on port 25 .*enforce mode/);
      web.https.set('mta-sts.good.test/.well-known/mta-sts.txt', text(POLICY('mx.good.test', 'testing')));
      const testing = await check('good.test');
      assert.equal(testing.findings.find((f) => f.code === 'mx-certificate-invalid')?.level, 'info');
    } finally {
      map.set('mx.good.test:25', original);
      web.https.set('mta-sts.good.test/.well-known/mta-sts.txt', text(POLICY('mx.good.test')));
      await sink.stop();
    }
  });

  it('a name that is no domain, or --domain with URLs, is refused before anything is looked up', async () => {
    const bad = await run(['--domain', 'not a domain']);
    assert.equal(bad.code, EXIT.failed);
    assert.match(bad.err, /"not a domain" is not a domain name that can be looked up/);
    const mixed = await run(['--domain', 'good.test', 'imaps://mx.good.test']);
    assert.equal(mixed.code, EXIT.failed);
    assert.match(mixed.err, /--domain takes one domain and no URLs/);
  });

  it('refuses a 50 MB MTA-STS policy by size after reading little of it', async () => {
    let written = 0;
    web.https.set('mta-sts.huge.test/.well-known/mta-sts.txt', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'mx: a.huge.test\n');
      const pump = (): void => {
        while (written < 50 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => undefined);
      pump();
    });
    const resolver = createDomainResolver({ servers: [`127.0.0.1:${dns.port}`], timeoutMs: 2000 });
    const { report, findings } = await checkMtaSts('huge.test', ['mx.huge.test'], { resolver, dnsTimeoutMs: 2000, fetchTimeoutMs: 10_000, dial, ca: [ca.certPem] });
    assert.deepEqual(findings.map((f) => f.code), ['mta-sts-policy-unavailable']);
    assert.match(report.policyError ?? '', /larger than 65536 bytes/);
    assert.ok(written < 10 * 1024 * 1024, `the server wrote ${written} bytes before the client hung up`);
  });

  it('an MTA-STS policy behind a redirect is not followed', async () => {
    web.https.set('mta-sts.huge.test/.well-known/mta-sts.txt', (_req, res) => res.writeHead(302, { location: 'https://good.test/policy' }).end());
    const resolver = createDomainResolver({ servers: [`127.0.0.1:${dns.port}`], timeoutMs: 2000 });
    const { report } = await checkMtaSts('huge.test', ['mx.huge.test'], { resolver, dnsTimeoutMs: 2000, fetchTimeoutMs: 5000, dial, ca: [ca.certPem] });
    assert.match(report.policyError ?? '', /HTTP 302 .*RFC 8461 3\.3/);
  });
});

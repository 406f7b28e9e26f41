// Discovery end to end: a local DNS server (dns2) for MX and SRV, local HTTPS/HTTP servers for the
// autoconfig files, the real Dovecot and smtp-server on loopback for the verification probes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverServers, DiscoverOptions, DiscoveryResult, LookupRecord } from '../../src/protocol/discovery';
import { configFile, discoveryCertificates, LocalDns, loopbackDial, startLocalDns, startWebServers, WebServers, xml } from '../fixtures/discoveryDomain';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { SmtpSink, startSmtpSink } from '../fixtures/smtpSink';
import type { TestCa } from '../fixtures/certificates';
import { requireDovecot } from './requireDovecot';

const AUTOCONFIG = 'autoconfig.example.test/mail/config-v1.1.xml';
const WELL_KNOWN = 'example.test/.well-known/autoconfig/mail/config-v1.1.xml';

function lookup(result: DiscoveryResult, kind: LookupRecord['kind'], target: string): LookupRecord {
  const found = result.lookups.find((l) => l.kind === kind && l.target.includes(target));
  assert.ok(found, `no ${kind} lookup for ${target} in ${result.lookups.map((l) => `${l.kind} ${l.target}`).join(', ')}`);
  return found;
}

describe('discovery against local DNS, HTTPS and Dovecot', function () {
  this.timeout(60_000);
  let tmp: string;
  let ca: TestCa;
  let dovecot: DovecotFixture;
  let smtps: SmtpSink;
  let submission: SmtpSink;
  let web: WebServers;
  let dns: LocalDns;
  let dialMap: Map<string, number>;

  before(async function () {
    requireDovecot(this);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-discovery-'));
    const certs = discoveryCertificates(tmp);
    ca = certs.ca;
    const leaf = certs.leaf(path.join(tmp, 'web'));
    dovecot = await startDovecot({ makeCertificate: certs.leaf });
    smtps = await startSmtpSink({ secure: true, key: leaf.keyPem, cert: leaf.certPem });
    submission = await startSmtpSink({ key: leaf.keyPem, cert: leaf.certPem });
    web = await startWebServers(leaf);
    dns = await startLocalDns({});
  });

  after(async () => {
    await Promise.all([dns?.stop(), web?.stop(), smtps?.stop(), submission?.stop(), dovecot?.stop()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  beforeEach(() => {
    web.https.clear();
    web.http.clear();
    dns.zone.mx = {};
    dns.zone.srv = {};
    dialMap = new Map<string, number>();
    for (const site of ['autoconfig.example.test', 'example.test', 'autoconfig.provider.test', 'provider.test', 'autoconfig.customer.test', 'customer.test', 'autoconfig.srvonly.test', 'srvonly.test']) dialMap.set(site, 0);
    for (const [k] of dialMap) dialMap.set(k, web.httpsPort);
    for (const site of ['autoconfig.example.test', 'example.test']) dialMap.set(`${site}:80`, web.httpPort);
    // The guessed names of example.test reach the real servers.
    dialMap.set('imap.example.test:993', dovecot.ports.imaps);
    dialMap.set('imap.example.test:143', dovecot.ports.imap);
    dialMap.set('smtp.example.test:465', smtps.port);
    dialMap.set('smtp.example.test:587', submission.port);
  });

  const options = (extra: Partial<DiscoverOptions> = {}): DiscoverOptions => ({ resolver: dns.resolver, dial: loopbackDial(dialMap), ca: [ca.certPem], fetchTimeoutMs: 3000, probeTimeoutMs: 3000, ...extra });

  it('takes the autoconfig file first, verifies its servers with the prober and notes the other sources', async () => {
    web.https.set(`${AUTOCONFIG}`, xml(configFile([['imap', 'imap.%EMAILDOMAIN%', 993, 'SSL'], ['pop3', 'pop.example.test', 995, 'SSL']], [['smtp', 'smtp.example.test', 465, 'SSL', '%EMAILLOCALPART%']])));
    dns.zone.srv = { '_imap._tcp.example.test': [{ target: 'imap.example.test', port: 143 }] };
    const result = await discoverServers('alice@example.test', options());

    const inc = result.best.incoming!;
    assert.equal(`${inc.source.kind} ${inc.protocol} ${inc.host}:${inc.port} ${inc.security}`, 'autoconfig imap imap.example.test:993 tls');
    assert.equal(inc.source.where, `https://${AUTOCONFIG}?emailaddress=alice%40example.test`);
    assert.deepEqual(inc.verification && [inc.verification.reachable, inc.verification.certificateTrusted], [true, true]);
    assert.ok(inc.alsoFrom.some((s) => s.kind === 'guess'), 'the guess imap.example.test:993 is merged into the autoconfig entry');
    assert.equal(inc.username, 'alice@example.test');
    assert.equal(inc.flags.passwordGoesToOtherDomain, false);
    const out = result.best.outgoing!;
    assert.equal(`${out.source.kind} ${out.host}:${out.port} ${out.username}`, 'autoconfig smtp.example.test:465 alice');
    assert.equal(out.verification?.certificateTrusted, true);
    assert.deepEqual(result.confirmations, []);
    assert.equal(result.problem, undefined);

    // Every source was asked, and each lookup says what it got.
    assert.match(lookup(result, 'autoconfig', AUTOCONFIG).answer ?? '', /2 incoming, 1 outgoing/);
    assert.equal(lookup(result, 'wellKnown', WELL_KNOWN).error?.code, 'ProtocolError');
    assert.equal(lookup(result, 'mx', 'example.test').error?.code, 'HostNotFound');
    assert.match(lookup(result, 'srv', '_imap._tcp.example.test').answer ?? '', /imap\.example\.test:143/);
    assert.equal(lookup(result, 'srv', '_imaps._tcp.example.test').ok, false);
    const pop = result.incoming.find((c) => c.host === 'pop.example.test');
    assert.equal(pop?.verification?.reachable, false, 'pop.example.test is not served: listed, checked, failed');
    assert.match(pop?.verification?.problem ?? '', /pop\.example\.test/);
    assert.ok(result.incoming.some((c) => c.source.kind === 'srv' && c.port === 143 && c.verification?.certificateTrusted), 'the SRV target was verified through STARTTLS');
  });

  it('uses SRV targets on their own ports when there is no autoconfig, and explains absurd SRV answers', async () => {
    dialMap.set(`mailhost.srvonly.test:${dovecot.ports.imaps}`, dovecot.ports.imaps);
    dialMap.set(`mailhost.srvonly.test:${submission.port}`, submission.port);
    dns.zone.srv = {
      '_imaps._tcp.srvonly.test': [{ target: 'mailhost.srvonly.test', port: dovecot.ports.imaps }],
      '_pop3s._tcp.srvonly.test': [{ target: 'mailhost.srvonly.test', port: 0 }],
      '_pop3._tcp.srvonly.test': [{ target: '.', port: 0 }],
      '_submission._tcp.srvonly.test': [{ target: 'mailhost.srvonly.test', port: submission.port }],
    };
    const result = await discoverServers('bob@srvonly.test', options());
    assert.equal(result.best.incoming?.source.kind, 'srv');
    assert.equal(result.best.incoming?.port, dovecot.ports.imaps);
    assert.equal(result.best.incoming?.verification?.certificateTrusted, true);
    assert.equal(result.best.outgoing?.port, submission.port);
    assert.equal(result.best.outgoing?.security, 'starttls');
    assert.match(lookup(result, 'srv', '_pop3s._tcp').error?.message ?? '', /port 0 is not a port from 1 to 65535/);
    assert.match(lookup(result, 'srv', '_pop3._tcp').error?.message ?? '', /target "\." means the domain does not offer this service/);
  });

  it('follows the MX host to its provider and flags that the password goes to another domain', async () => {
    dns.zone.mx = { 'customer.test': [{ exchange: 'mx2.provider.test', priority: 20 }, { exchange: 'mx1.provider.test', priority: 10 }] };
    web.https.set('autoconfig.provider.test/mail/config-v1.1.xml', xml(configFile([['imap', 'imap.provider.test', 993, 'SSL']], [['smtp', 'smtp.provider.test', 465, 'SSL']], 'OAuth2')));
    dialMap.set('imap.provider.test:993', dovecot.ports.imaps);
    dialMap.set('smtp.provider.test:465', smtps.port);
    const result = await discoverServers('carol@customer.test', options());
    assert.equal(result.mxDomain, 'provider.test');
    assert.match(lookup(result, 'mx', 'customer.test').answer ?? '', /^mx1\.provider\.test/);
    const inc = result.best.incoming!;
    assert.equal(`${inc.source.kind} ${inc.host}`, 'mxAutoconfig imap.provider.test');
    assert.equal(inc.flags.passwordGoesToOtherDomain, true);
    assert.equal(inc.flags.oauth2, true);
    assert.ok(result.confirmations.some((c) => /imap\.provider\.test:993 is not part of customer\.test/.test(c)), result.confirmations.join('\n'));
  });

  it('refuses a 50 MB file, a redirect to another domain and an XML bomb, and still finds the guessed servers', async () => {
    web.https.set(AUTOCONFIG, (_req, res) => {
      // 50 MB announced and streamed: the fetch must stop at its cap, not read it all.
      res.writeHead(200, { 'content-type': 'application/xml' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 50 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    web.https.set(WELL_KNOWN, (_req, res) => res.writeHead(302, { location: 'https://evil.test/config-v1.1.xml' }).end());
    dns.zone.mx = { 'example.test': [{ exchange: 'mx.provider.test', priority: 10 }] };
    web.https.set('autoconfig.provider.test/mail/config-v1.1.xml', xml('<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><clientConfig>&b;</clientConfig>'));
    web.https.set('provider.test/.well-known/autoconfig/mail/config-v1.1.xml', xml('<clientConfig><emailProvider><incomingServer type="imap"><hostname>imap.provider.test</hostname><port>99999</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>'));
    const t0 = Date.now();
    const result = await discoverServers('alice@example.test', options());
    assert.ok(Date.now() - t0 < 10_000);

    const big = lookup(result, 'autoconfig', AUTOCONFIG);
    assert.equal(big.error?.code, 'LimitExceeded');
    assert.match(big.error?.message ?? '', /more than 65536 bytes, far more than a mail setup file/);
    const redirect = lookup(result, 'wellKnown', WELL_KNOWN);
    assert.equal(redirect.error?.code, 'RedirectRefused');
    assert.match(redirect.error?.message ?? '', /redirected to https:\/\/evil\.test\/config-v1\.1\.xml, outside example\.test; it was not followed/);
    assert.match(lookup(result, 'mxAutoconfig', 'autoconfig.provider.test').error?.message ?? '', /DTD or entities/);
    assert.match(lookup(result, 'mxWellKnown', 'provider.test').error?.message ?? '', /port "99999" is not a number from 1 to 65535/);
    assert.ok(!result.incoming.some((c) => c.host.endsWith('provider.test') || c.host.endsWith('evil.test')), 'nothing from a refused file is a candidate');
    assert.equal(`${result.best.incoming?.source.kind} ${result.best.incoming?.host}:${result.best.incoming?.port}`, 'guess imap.example.test:993');
    assert.equal(`${result.best.outgoing?.source.kind} ${result.best.outgoing?.port}`, 'guess 465');
  });

  it('reads plain http only with consent, and then flags it', async () => {
    web.http.set(AUTOCONFIG, xml(configFile([['imap', 'imap2.example.test', 143, 'STARTTLS']], [])));
    dialMap.set('imap2.example.test:143', dovecot.ports.imap);
    const without = await discoverServers('alice@example.test', options({ verify: false }));
    assert.ok(!without.lookups.some((l) => l.target.startsWith('http:')), 'no http lookup without consent');
    assert.equal(without.best.incoming, undefined);

    const withConsent = await discoverServers('alice@example.test', options({ allowPlainHttp: true }));
    const inc = withConsent.incoming.find((c) => c.source.where.startsWith('http://'));
    assert.ok(inc, 'the http file gave a candidate');
    assert.equal(inc.flags.fetchedOverPlainHttp, true);
    assert.equal(inc.verification?.certificateTrusted, true);
    assert.equal(withConsent.best.incoming?.port, 993, 'a file read over plain http ranks below every source read securely, guesses included');
  });

  it('shows an untrusted certificate for the trust flow instead of dropping the server, and refuses autoconfig over such https', async () => {
    web.https.set(AUTOCONFIG, xml(configFile([['imap', 'imap.example.test', 993, 'SSL']], [])));
    const result = await discoverServers('alice@example.test', options({ ca: [] }));
    assert.equal(lookup(result, 'autoconfig', AUTOCONFIG).error?.code, 'CertificateUntrusted');
    const inc = result.best.incoming!;
    assert.equal(inc.source.kind, 'guess');
    assert.deepEqual([inc.verification?.reachable, inc.verification?.certificateTrusted], [true, false]);
    assert.match(inc.verification?.certificateSha256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(result.confirmations.some((c) => /does not verify/.test(c)));
  });

  it('says what to do when nothing is found, within the lookup timeouts', async () => {
    web.https.set('autoconfig.nothing.test/mail/config-v1.1.xml', (_req, res) => setTimeout(() => res.end('late'), 5000));
    dialMap.set('autoconfig.nothing.test', web.httpsPort);
    const t0 = Date.now();
    const result = await discoverServers('dave@nothing.test', options({ fetchTimeoutMs: 300 }));
    assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
    assert.equal(lookup(result, 'autoconfig', 'autoconfig.nothing.test').error?.code, 'Timeout');
    assert.equal(result.best.incoming, undefined);
    assert.match(result.problem ?? '', /No mail server settings were found for nothing\.test.*Enter the server settings by hand/);
  });
});

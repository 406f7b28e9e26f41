// What Add Account tells the user when discovery finds nothing usable, from real lookups on
// loopback: a hostile setup file (the engine's words shown), and a network where every lookup
// times out (a DNS server that never answers, web and mail ports that accept and stay silent).
import * as assert from 'node:assert/strict';
import { promises as dnsPromises } from 'node:dns';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverServers } from '../../src/protocol/discovery';
import { discoveryOutcome } from '../../src/protocol/discovery/setupPlan';
import { discoveryCertificates, LocalDns, loopbackDial, startLocalDns, startWebServers, WebServers, xml } from '../fixtures/discoveryDomain';

describe('discovery: what Add Account says when nothing usable comes back', function () {
  this.timeout(30_000);
  let tmp: string;
  let caPem: string;
  let web: WebServers;
  let dns: LocalDns;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-discovery-setup-'));
    const certs = discoveryCertificates(tmp);
    caPem = certs.ca.certPem;
    web = await startWebServers(certs.leaf(path.join(tmp, 'web')));
    dns = await startLocalDns({});
  });

  after(async () => {
    await Promise.all([dns?.stop(), web?.stop()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('shows the engine’s words for a hostile setup file and offers nothing from it', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><clientConfig version="1.1"><emailProvider id="evil.test"><incomingServer type="imap"><hostname>&lol2;</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></incomingServer></emailProvider></clientConfig>`;
    web.https.set('autoconfig.evil.test/mail/config-v1.1.xml', xml(bomb));
    const result = await discoverServers('alice@evil.test', {
      resolver: dns.resolver,
      dial: loopbackDial(new Map([['autoconfig.evil.test', web.httpsPort], ['evil.test', web.httpsPort]])),
      ca: [caPem],
      probeTimeoutMs: 1000,
    });
    const outcome = discoveryOutcome(result);
    assert.equal(outcome.kind, 'nothing');
    const message = (outcome as { message: string }).message;
    assert.match(message, /^No mail server settings were found for evil\.test: no autoconfig file, no SRV records, and no server at the usual host names\./);
    assert.match(message, /Refused: The mail setup file at https:\/\/autoconfig\.evil\.test\/mail\/config-v1\.1\.xml\?emailaddress=alice%40evil\.test declares a DTD or entities, which a mail setup file never needs \(it is how XML bombs start\); nothing from it was used\./);
    assert.doesNotMatch(message, /HTTP 404/, 'a missing well-known file is no refusal');
  });

  it('says the network did not answer when every lookup timed out', async () => {
    // A DNS server that reads every query and answers none, and one TCP port that accepts and stays silent.
    const silentDns = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silentDns.bind(0, '127.0.0.1', resolve));
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const resolver = new dnsPromises.Resolver({ timeout: 5000, tries: 1 });
      resolver.setServers([`127.0.0.1:${silentDns.address().port}`]);
      const port = (silent.address() as net.AddressInfo).port;
      const t0 = Date.now();
      const result = await discoverServers('alice@slow.test', {
        resolver,
        dial: async () => ({ address: '127.0.0.1', port }),
        fetchTimeoutMs: 600,
        dnsTimeoutMs: 600,
        probeTimeoutMs: 600,
      });
      const outcome = discoveryOutcome(result);
      assert.equal(outcome.kind, 'timedOut', JSON.stringify(result.lookups.map((l) => `${l.kind} ${l.error?.code}`)));
      assert.match((outcome as { message: string }).message, /^Every lookup for slow\.test failed, \d+ of \d+ by timing out: the network, DNS or a firewall did not answer\. Check the connection and try again, or set up the account manually\.$/);
      assert.ok(Date.now() - t0 < 10_000, `bounded by the timeouts (${Date.now() - t0} ms)`);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
      silentDns.close();
    }
  });
});
